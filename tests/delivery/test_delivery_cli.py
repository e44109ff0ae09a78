"""``concord outbox`` lists stuck messages with their error; ``concord outbox retry`` requeues."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import main as runners
from bot.dates.clock import ManualClock
from bot.main import App
from bot.outbound.platform import PlatformError
from bot.settings import Settings
from tests.delivery.test_delivery import deliverer, enqueue
from tests.delivery.test_delivery_faults import rows
from tests.fakes.platform import FakePlatform


async def test_list_shows_failed_and_late_messages_then_retry_requeues(
    app: App, clock: ManualClock, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    slack = FakePlatform("slack", clock)
    slack.fail_next(
        PlatformError("channel_not_found", permanent=True),
        PlatformError("503 Service Unavailable", retry_after=3600),
    )
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "slack", "C1", "Weekly digest — P1 Apollo")
    await enqueue(app, "slack", "C2", "⚠ T3 Write spec is overdue")
    await enqueue(app, "slack", "C3", "fine")
    await worker.drain()
    clock.advance(timedelta(minutes=10))

    await runners.outbox_command(settings, "list", clock=clock)
    out = capsys.readouterr().out
    assert "Outbox: 1 pending, 1 failed; 2 stuck" in out
    assert "#1  failed   slack:C1  send  attempts=1" in out
    assert "error: channel_not_found" in out
    assert "“Weekly digest — P1 Apollo”" in out
    assert "#2  pending  slack:C2" in out
    assert "error: 503 Service Unavailable" in out
    assert "#3" not in out

    await runners.outbox_command(settings, "retry", [1], clock=clock)
    assert "1 failed message(s) of 1 given queued again" in capsys.readouterr().out
    clock.advance(timedelta(seconds=1))
    await worker.drain()
    assert [r.status for r in await rows(app)] == ["sent", "pending", "sent"]

    await runners.outbox_command(settings, "list", clock=clock)
    assert "1 stuck" in capsys.readouterr().out

"""Delivery under failure: Retry-After, backoff, bounded give-up, and a worker killed mid-batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.dates.clock import ManualClock
from bot.main import App, build_app
from bot.outbound.delivery import Deliverer
from bot.outbound.platform import PlatformError
from bot.settings import Settings
from storage.db import transaction
from storage.delivery import outbox
from storage.rows import id_of
from storage.tables import Outbox
from tests.delivery.test_delivery import deliverer, enqueue
from tests.fakes.platform import FakePlatform


async def rows(app: App) -> list[Outbox]:
    async with transaction(app.sessions) as session:
        return list((await session.exec(select(Outbox).order_by(col(Outbox.id)))).all())


async def test_429_then_500_then_success_arrives_once_not_before_retry_after(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    slack.fail_next(
        PlatformError("429 Too Many Requests", retry_after=30),
        PlatformError("500 Internal Server Error"),
    )
    worker = deliverer(app, clock, settings, slack)
    start = clock.now()
    await enqueue(app, "slack", "C1", "the reminder")

    await worker.drain()  # 429
    for seconds in (10, 29.9):
        clock.set(start + timedelta(seconds=seconds))
        await worker.drain()
    assert slack.calls == 1
    clock.set(start + timedelta(seconds=30))
    await worker.drain()  # 500 → backs off 4 s (second attempt)
    assert slack.calls == 2
    (row,) = await rows(app)
    assert (row.status, row.attempts, row.last_error) == ("pending", 2, "500 Internal Server Error")
    for _ in range(5):
        clock.advance(timedelta(seconds=2))
        await worker.drain()

    assert slack.texts() == ["the reminder"]
    assert slack.deliveries[0].at >= start + timedelta(seconds=30)
    (row,) = await rows(app)
    assert (row.status, row.attempts, row.failing_since) == ("sent", 3, None)


async def test_a_failing_message_holds_its_chat_but_not_others(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    slack.fail_next(PlatformError("503", retry_after=60))
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "slack", "C1", "first")
    await enqueue(app, "slack", "C1", "second")
    await enqueue(app, "slack", "C2", "elsewhere")

    await worker.drain()
    clock.advance(timedelta(seconds=5))
    await worker.drain()
    assert slack.texts() == ["elsewhere"]
    clock.advance(timedelta(seconds=60))
    await worker.drain()
    clock.advance(timedelta(seconds=1))
    await worker.drain()
    assert slack.texts("C1") == ["first", "second"]


async def test_gives_up_after_the_bounded_time_and_records_the_failure(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    settings.delivery.give_up_after_minutes = 30
    slack = FakePlatform("slack", clock)
    slack.fail_next(*[PlatformError("502 Bad Gateway") for _ in range(100)])
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "slack", "C1", "doomed")
    await enqueue(app, "slack", "C1", "next in line")

    for _ in range(29):
        await worker.drain()
        clock.advance(timedelta(minutes=1))
    doomed, following = await rows(app)
    assert (doomed.status, following.status) == ("pending", "pending")
    for _ in range(3):
        await worker.drain()
        clock.advance(timedelta(minutes=1))
    doomed, following = await rows(app)
    assert doomed.status == "failed"
    assert doomed.last_error == "502 Bad Gateway"
    assert 5 <= doomed.attempts < 32  # backoff: far fewer attempts than passes
    # The chat moves on once its head has failed for good.
    slack.recover()
    clock.advance(timedelta(minutes=10))
    await worker.drain()
    assert slack.texts() == ["next in line"]


async def test_a_permanent_error_fails_at_once_and_retry_queues_it_again(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    slack.fail_next(PlatformError("channel_not_found", permanent=True))
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "slack", "C1", "lost?")

    await worker.drain()
    (row,) = await rows(app)
    assert (row.status, row.last_error) == ("failed", "channel_not_found")

    async with transaction(app.sessions) as session:
        assert await outbox.retry_failed(session, now=clock.now(), ids=[id_of(row)]) == 1
    clock.advance(timedelta(seconds=1))  # the channel's pacing
    await worker.drain()
    assert slack.texts() == ["lost?"]


async def test_an_adapter_exception_is_retried_not_lost(
    app: App, clock: ManualClock, settings: Settings
) -> None:
    slack = FakePlatform("slack", clock)
    slack.fail_next(ConnectionResetError("connection reset by peer"))
    worker = deliverer(app, clock, settings, slack)
    await enqueue(app, "slack", "C1", "still here")

    await worker.drain()
    (row,) = await rows(app)
    assert row.status == "pending"
    assert row.last_error == "ConnectionResetError: connection reset by peer"
    clock.advance(timedelta(seconds=2))
    await worker.drain()
    assert slack.texts() == ["still here"]


async def kill_during(worker: Deliverer, fake: FakePlatform) -> None:
    task = asyncio.create_task(worker.drain())
    await fake.parked.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("accepted", [False, True], ids=["before-accept", "after-accept"])
async def test_a_worker_killed_mid_batch_loses_nothing(
    app: App, clock: ManualClock, settings: Settings, accepted: bool
) -> None:
    console = FakePlatform("console", clock)
    if accepted:
        console.hold_after = 3
    else:
        console.hold_before = 3
    texts = [f"m{n}" for n in range(6)]
    for text in texts:
        await enqueue(app, "console", "c", text)
    first = await build_app(settings, clock, migrate=False)
    try:
        await kill_during(deliverer(first, clock, settings, console), console)
    finally:
        await first.close()

    restarted = await build_app(settings, clock, migrate=False)
    try:
        await deliverer(restarted, clock, settings, console).drain()
    finally:
        await restarted.close()
    if accepted:
        # The crash window: accepted by the platform, not yet marked sent → sent once more.
        assert console.texts() == ["m0", "m1", "m2", "m2", "m3", "m4", "m5"]
    else:
        assert console.texts() == texts
    assert [r.status for r in await rows(app)] == ["sent"] * 6

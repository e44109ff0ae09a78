"""Two replicas on one PostgreSQL database: each runs the real scheduler and delivery worker,
concurrently, against a fake platform that journals every delivery. Every due message goes
out exactly once, and each chat's messages arrive in order. PostgreSQL only: SQLite is one
process by design."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from bot.dates.clock import ManualClock, to_utc
from bot.main import build_app
from bot.settings import Settings
from bot.text.render import text_message
from storage.db import transaction
from storage.delivery import outbox
from storage.tables import Outbox
from tests.conftest import PG_URL, START, _truncate
from tests.console_driver import ConsoleDriver
from tests.fakes.platform import Delivery, FakePlatform
from tests.scheduling import keys, outbox_rows

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(request: pytest.FixtureRequest) -> Settings:
    if PG_URL is None:
        pytest.skip("set CONCORD_TEST_DATABASE_URL to run the PostgreSQL tests")
    url: str = request.getfixturevalue("postgres_ready")
    asyncio.run(_truncate(url))
    settings = Settings()
    settings.database_url = url
    settings.auto_migrate = False
    return settings


async def seed(settings: Settings) -> None:
    """Three projects with reminders, digests and daily DMs to come, plus queued chatter."""
    clock = ManualClock(START)
    app = await build_app(settings, clock, migrate=False)
    try:
        console = ConsoleDriver(app, clock)
        for n in range(3):
            await console.run(f"""
                :in group-{n}
                project new "Project {n}" sponsor:@erin
                member @owner{n} daily:on
                task add "Spec {n}" owner:@owner{n} due:11-24
                task add "Build {n}" owner:@owner{n} due:11-25
                task add "Ship {n}" owner:@owner{n} due:11-26
            """)
        async with transaction(app.sessions) as session:
            for chat in range(6):
                for k in range(12):
                    outbox.enqueue(
                        session,
                        platform="slack",
                        chat_external_id=f"C{chat}",
                        payload=text_message(f"C{chat} message {k}").to_json(),
                        now=to_utc(START),
                    )
    finally:
        await app.close()


async def replica(settings: Settings, journal: list[Delivery], instants: list[datetime]) -> int:
    """One ``concord serve``: its own engine, clock and adapters; ticks and drains."""
    clock = ManualClock(instants[0])
    app = await build_app(settings, clock, migrate=False)
    fakes = [
        FakePlatform(name, clock, interleave=True, journal=journal) for name in ("console", "slack")
    ]
    app.deliver_through({fake.name: fake for fake in fakes})
    try:
        for instant in instants:
            clock.set(instant)
            await app.scheduler.tick(clock.now())
            await app.deliver()
            clock.advance(timedelta(seconds=1))
            await app.deliver()
    finally:
        await app.close()
    return sum(len(fake.deliveries) for fake in fakes)


async def final_state(settings: Settings) -> tuple[list[Outbox], dict[str, datetime]]:
    app = await build_app(settings, ManualClock(START), migrate=False)
    try:
        return await outbox_rows(app), await keys(app)
    finally:
        await app.close()


async def test_two_replicas_deliver_every_message_once_in_per_chat_order(
    pg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(pg_settings)
    instants = [START + timedelta(hours=h) for h in range(0, 24 * 5, 2)]  # Mon → Sat
    journal: list[Delivery] = []
    with caplog.at_level(logging.WARNING, logger="concord"):
        counts = await asyncio.gather(
            replica(pg_settings, journal, instants), replica(pg_settings, journal, instants)
        )

    assert all(count > 0 for count in counts), counts  # both replicas did real work
    rows, ledger = await final_state(pg_settings)
    assert [r.status for r in rows] == ["sent"] * len(rows)
    delivered = Counter(d.idempotency_key for d in journal)
    assert delivered == Counter(f"outbox:{r.id}" for r in rows)  # each exactly once
    per_chat: dict[tuple[str, str], list[int]] = defaultdict(list)
    for d in journal:
        per_chat[(d.platform, d.chat_id)].append(int((d.idempotency_key or "0").split(":")[1]))
    assert all(ids == sorted(ids) for ids in per_chat.values())
    # Spec (due Tue) and Build (due Wed) of each project are overdue by Saturday.
    assert sum(1 for k in ledger if k.count(":") == 3 and ":overdue:" in k) == 6
    assert sum(1 for k in ledger if k.startswith("digest:")) == 3
    assert sum(1 for k in ledger if k.startswith("daily:") and k.count(":") == 2) == 15
    assert len([d for d in journal if d.platform == "slack"]) == 72
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

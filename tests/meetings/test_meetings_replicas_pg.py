"""Two replicas continuing one weekly series at once create its next meeting once
(PostgreSQL; SQLite has a single writer)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.dates.clock import ManualClock
from bot.main import build_app
from bot.scheduler import JobContext
from bot.settings import Settings
from bot.text.messages import IncomingMessage
from commands.meetings import jobs as meeting_job
from storage.tables import AuditLog, Meeting
from tests.meeting_helpers import FRIDAY_1500


async def test_concurrent_jobs_continue_a_series_once(
    settings: Settings, clock: ManualClock
) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("one SQLite process is assumed; replicas need PostgreSQL")
    replicas = [await build_app(settings, clock, migrate=False) for _ in range(4)]

    def say(text: str) -> IncomingMessage:
        return IncomingMessage(platform="console", chat_id="g", sender_id="pm", text=text)

    try:
        await replicas[0].dispatcher.handle_message(say('project new "Race"'))
        await replicas[0].dispatcher.handle_message(
            say('meeting new "Sync" at:"fri 15:00" every:fri')
        )
        clock.set(FRIDAY_1500 + timedelta(hours=2))
        await asyncio.gather(
            *(
                meeting_job.run(
                    JobContext(a.sessions, a.settings, a.scheduler.calendar, clock.now())
                )
                for a in replicas
            )
        )
        async with replicas[0].sessions() as session:
            rows = (await session.exec(select(Meeting))).all()
            query = select(AuditLog.action).where(col(AuditLog.actor_id).is_(None))
            steps = (await session.exec(query)).all()
        assert sorted(m.number for m in rows) == [1, 2]
        assert sorted(steps) == ["meeting.create", "meeting.start_reminded"]  # each step once
    finally:
        for app in replicas:
            await app.close()

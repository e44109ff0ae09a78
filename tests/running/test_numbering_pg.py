"""Two replicas numbering items of one project at once never collide (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.dates.clock import ManualClock
from bot.main import build_app
from bot.settings import Settings
from bot.text.messages import IncomingMessage
from storage.tables import Task


async def test_concurrent_task_numbers(settings: Settings, clock: ManualClock) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("one SQLite process is assumed; replicas need PostgreSQL")
    replicas = [await build_app(settings, clock, migrate=False) for _ in range(2)]

    def say(user: str, text: str) -> IncomingMessage:
        return IncomingMessage(platform="console", chat_id="g", sender_id=user, text=text)

    try:
        await replicas[0].dispatcher.handle_message(say("pm", 'project new "Race"'))
        jobs = [
            replicas[i % 2].dispatcher.handle_message(say("pm", f'task add "Job {i}"'))
            for i in range(20)
        ]
        replies = await asyncio.gather(*jobs)
        assert all("Added T" in r[0].message.plain_text() for r in replies)
        async with replicas[0].sessions() as session:
            numbers = sorted(t.number for t in (await session.exec(select(Task))).all())
        assert numbers == list(range(1, 21))
    finally:
        for app in replicas:
            await app.close()

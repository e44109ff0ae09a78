"""Helpers for scheduler tests: read the ledger and the outbox, and model downtime."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.dates.clock import ManualClock
from bot.main import App
from bot.text.messages import Message
from storage.db import transaction
from storage.tables import Escalation, NotificationKey, Outbox
from tests.console_driver import ConsoleDriver

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def at(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """``"2026-11-24 09:00"`` in ``zone``."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


async def keys(app: App, prefix: str = "") -> dict[str, datetime]:
    """Ledger keys starting with ``prefix`` → when they were claimed."""
    async with transaction(app.sessions) as session:
        query = select(NotificationKey).where(col(NotificationKey.key).startswith(prefix))
        return {k.key: k.created_at for k in (await session.exec(query)).all()}


async def outbox_rows(app: App, *, answers: bool = False) -> list[Outbox]:
    """What the bot sent of its own accord (answers to commands only with ``answers``)."""
    async with transaction(app.sessions) as session:
        query = select(Outbox).order_by(col(Outbox.id))
        if not answers:
            query = query.where(col(Outbox.reply_to).is_(None))
        return list((await session.exec(query)).all())


def text_of(row: Outbox) -> str:
    return Message.from_json(row.payload).plain_text()


async def escalations(app: App) -> list[Escalation]:
    async with transaction(app.sessions) as session:
        query = select(Escalation).order_by(col(Escalation.id))
        return list((await session.exec(query)).all())


async def around(console: ConsoleDriver, clock: ManualClock, when: datetime) -> str:
    """Jump (the bot was down) to 15 minutes before ``when``, then run half an hour; returns
    what was printed. A jump skips no message: the jobs catch up on what fell due meanwhile."""
    clock.set(when - timedelta(minutes=15))
    return await console.run(":advance 30m")

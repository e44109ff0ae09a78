"""Stored inbound events: the insert that comes before an acknowledgement, and the queue the
intake workers run, one chat at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import InboundEvent, InboundStatus, InboxLane


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


async def store(session: AsyncSession, **values: Any) -> int | None:
    """Insert the event; its row id, or None when (platform, event_id) is stored already."""
    dialect = session.get_bind().dialect.name
    stored = (await session.exec(_insert_event(dialect, **values))).first()
    return int(stored[0]) if stored is not None else None


async def store_at_once(engine: AsyncEngine, **values: Any) -> int | None:
    """``store`` as one autocommitted statement: one round trip, no BEGIN/COMMIT (the
    statement is atomic by itself). For PostgreSQL, on an engine of its own, so intake never
    waits for a connection the workers hold."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        result = await autocommit.execute(_insert_event(engine.dialect.name, **values))
        stored = result.first()
    return int(stored[0]) if stored is not None else None


def _insert_event(
    dialect: str,
    *,
    platform: str,
    event_id: str,
    chat_external_id: str,
    kind: str,
    payload: str,
    wants_answer: bool,
    now: datetime,
) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(InboundEvent)
        .values(
            platform=platform,
            event_id=event_id,
            chat_external_id=chat_external_id,
            kind=kind,
            payload=payload,
            wants_answer=wants_answer,
            status=InboundStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        .returning(col(InboundEvent.id))
    )


async def is_stored(session: AsyncSession, *, platform: str, event_id: str) -> bool:
    query = select(InboundEvent.id).where(
        InboundEvent.platform == platform, InboundEvent.event_id == event_id
    )
    return (await session.exec(query)).first() is not None


async def ready_chats(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> Sequence[tuple[str, str]]:
    """Chats whose oldest pending event is due, oldest first (fair across chats)."""
    query = (
        select(InboundEvent.platform, InboundEvent.chat_external_id, func.min(InboundEvent.id))
        .where(InboundEvent.status == InboundStatus.PENDING)
        .where(col(InboundEvent.next_attempt_at) <= now)
        .group_by(col(InboundEvent.platform), col(InboundEvent.chat_external_id))
        .order_by(func.min(InboundEvent.id))
        .limit(limit)
    )
    return [(platform, chat) for platform, chat, _ in (await session.exec(query)).all()]


async def head_of_chat(
    session: AsyncSession, *, platform: str, chat_external_id: str
) -> InboundEvent | None:
    """The chat's oldest pending event: later ones wait behind it (per-chat order)."""
    query = (
        select(InboundEvent)
        .where(
            InboundEvent.status == InboundStatus.PENDING,
            InboundEvent.platform == platform,
            InboundEvent.chat_external_id == chat_external_id,
        )
        .order_by(col(InboundEvent.id))
        .limit(1)
    )
    return (await session.exec(query)).first()


async def lock_lane(session: AsyncSession, *, platform: str, chat_external_id: str) -> bool:
    """Take the chat's intake lane for this transaction; False while another worker has it."""
    if await _locked(session, platform, chat_external_id):
        return True
    statement = _insert(session)(InboxLane).values(
        platform=platform, chat_external_id=chat_external_id
    )
    await session.exec(statement.on_conflict_do_nothing())
    return await _locked(session, platform, chat_external_id)


async def _locked(session: AsyncSession, platform: str, chat: str) -> bool:
    query = (
        select(InboxLane.platform)
        .where(InboxLane.platform == platform, InboxLane.chat_external_id == chat)
        .with_for_update(skip_locked=True)
    )
    return (await session.exec(query)).first() is not None


def finish(event: InboundEvent, *, status: InboundStatus, now: datetime, error: str | None) -> None:
    event.status = status
    event.processed_at = now
    event.attempts += 1
    event.last_error = error[:500] if error else None


async def postpone(session: AsyncSession, *, event_id: int, until: datetime, error: str) -> None:
    """A transient failure (the database went away mid-command): try again later."""
    await session.exec(
        update(InboundEvent)
        .where(col(InboundEvent.id) == event_id)
        .values(attempts=InboundEvent.attempts + 1, next_attempt_at=until, last_error=error[:500])
    )


async def pending_count(session: AsyncSession) -> int:
    query = select(func.count()).where(InboundEvent.status == InboundStatus.PENDING)
    return int((await session.exec(query)).one())


async def next_due(session: AsyncSession) -> datetime | None:
    query = select(func.min(InboundEvent.next_attempt_at)).where(
        InboundEvent.status == InboundStatus.PENDING
    )
    return (await session.exec(query)).one()


async def prune(session: AsyncSession, *, now: datetime, keep: timedelta) -> int:
    """Forget events run longer ago than ``keep`` (platforms retry within minutes; Feishu
    re-pushes for hours — a week covers every retry schedule)."""
    statement = delete(InboundEvent).where(
        col(InboundEvent.status) != InboundStatus.PENDING,
        col(InboundEvent.received_at) < now - keep,
    )
    result = await session.exec(statement)
    return int(result.rowcount or 0)

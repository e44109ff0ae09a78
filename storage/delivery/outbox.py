"""The transactional outbox: every outbound message is a row written in the transaction of
the change that causes it, drained one chat at a time through the chat's lane."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Outbox, OutboxKind, OutboxLane, OutboxStatus


def enqueue(
    session: AsyncSession,
    *,
    platform: str,
    chat_external_id: str,
    payload: str,
    now: datetime,
    kind: str = OutboxKind.SEND,
    is_direct: bool = False,
    member_id: int | None = None,
    card_key: str | None = None,
    thread_id: str | None = None,
    due: datetime | None = None,
    account_id: str | None = None,
    reply_to: str | None = None,
) -> Outbox:
    """Queue a message; it goes out from ``due`` (default: now) in its chat's order."""
    row = Outbox(
        platform=platform,
        chat_external_id=chat_external_id,
        is_direct=is_direct,
        thread_id=thread_id,
        member_id=member_id,
        account_id=account_id,
        reply_to=reply_to,
        kind=kind,
        card_key=card_key,
        payload=payload,
        next_attempt_at=due or now,
        created_at=now,
    )
    session.add(row)
    return row


async def pending_chats(
    session: AsyncSession,
    *,
    now: datetime,
    platforms: Sequence[str] | None = None,
    limit: int = 100,
) -> Sequence[tuple[str, str]]:
    """Chats with messages ready to go and no pacing pause, oldest message first."""
    lane = and_(
        col(OutboxLane.platform) == col(Outbox.platform),
        col(OutboxLane.chat_external_id) == col(Outbox.chat_external_id),
    )
    query = (
        select(Outbox.platform, Outbox.chat_external_id, func.min(Outbox.id))
        .outerjoin(OutboxLane, lane)
        .where(Outbox.status == OutboxStatus.PENDING, col(Outbox.next_attempt_at) <= now)
        .where(or_(col(OutboxLane.next_send_at).is_(None), col(OutboxLane.next_send_at) <= now))
        .group_by(col(Outbox.platform), col(Outbox.chat_external_id))
        .order_by(func.min(Outbox.id))
        .limit(limit)
    )
    if platforms is not None:
        query = query.where(col(Outbox.platform).in_(platforms))
    return [(platform, chat) for platform, chat, _ in (await session.exec(query)).all()]


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending message becomes due (uses the pending index)."""
    query = select(func.min(Outbox.next_attempt_at)).where(Outbox.status == OutboxStatus.PENDING)
    return (await session.exec(query)).one()


async def next_in_chat(
    session: AsyncSession, *, platform: str, chat_external_id: str
) -> Outbox | None:
    """The oldest pending message of a chat (later ones wait behind it: per-chat order)."""
    query = (
        select(Outbox)
        .where(
            Outbox.status == OutboxStatus.PENDING,
            Outbox.platform == platform,
            Outbox.chat_external_id == chat_external_id,
        )
        .order_by(col(Outbox.id))
        .limit(1)
    )
    return (await session.exec(query)).first()


async def lock_lane(
    session: AsyncSession, *, platform: str, chat_external_id: str
) -> OutboxLane | None:
    """Take the chat's lane for this transaction; None while another worker holds it.

    On PostgreSQL the row lock (``FOR UPDATE SKIP LOCKED``) lasts until commit, so two
    replicas never drain one chat at once. SQLite has no row locks: one process is assumed.
    """
    lane = await _locked_lane(session, platform, chat_external_id)
    if lane is not None:
        return lane
    await _ensure_lane(session, platform, chat_external_id)
    return await _locked_lane(session, platform, chat_external_id)


async def _locked_lane(session: AsyncSession, platform: str, chat: str) -> OutboxLane | None:
    query = (
        select(OutboxLane)
        .where(OutboxLane.platform == platform, OutboxLane.chat_external_id == chat)
        .with_for_update(skip_locked=True)
    )
    return (await session.exec(query)).first()


async def _ensure_lane(session: AsyncSession, platform: str, chat: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OutboxLane).values(platform=platform, chat_external_id=chat)
    await session.exec(statement.on_conflict_do_nothing())


async def stuck(session: AsyncSession, *, now: datetime, older_than: timedelta) -> Sequence[Outbox]:
    """Failed messages, and pending ones that are retrying after errors or were due more
    than ``older_than`` ago."""
    waiting = or_(
        col(Outbox.failing_since).is_not(None), col(Outbox.next_attempt_at) < now - older_than
    )
    late = and_(col(Outbox.status) == OutboxStatus.PENDING, waiting)
    query = select(Outbox).where(or_(col(Outbox.status) == OutboxStatus.FAILED, late))
    query = query.order_by(col(Outbox.id))
    return (await session.exec(query)).all()


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """How many messages are pending and how many failed (sent ones are history)."""
    query = (
        select(Outbox.status, func.count())
        .where(col(Outbox.status).in_((OutboxStatus.PENDING, OutboxStatus.FAILED)))
        .group_by(col(Outbox.status))
    )
    return {status: int(count) for status, count in (await session.exec(query)).all()}


async def retry_failed(session: AsyncSession, *, now: datetime, ids: Sequence[int] = ()) -> int:
    """Queue failed messages (all, or those in ``ids``) again, with a fresh give-up clock."""
    statement = update(Outbox).where(col(Outbox.status) == OutboxStatus.FAILED)
    if ids:
        statement = statement.where(col(Outbox.id).in_(ids))
    result = await session.exec(
        statement.values(
            status=OutboxStatus.PENDING,
            next_attempt_at=now,
            attempts=0,
            last_error=None,
            failing_since=None,
        )
    )
    return int(result.rowcount or 0)


async def mark_answered(session: AsyncSession, *, ids: Sequence[int], now: datetime) -> None:
    """The adapter answered inside the platform's request: don't deliver these copies."""
    await session.exec(
        update(Outbox)
        .where(col(Outbox.id).in_(ids), col(Outbox.status) == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=now, last_error="answered in the request")
    )

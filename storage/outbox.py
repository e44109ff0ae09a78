"""The transactional outbox, the notification-key ledger and card references."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import CardRef, NotificationKey, Outbox, OutboxLane


def enqueue(
    session: AsyncSession,
    *,
    platform: str,
    chat_external_id: str,
    payload: str,
    now: datetime,
    kind: str = "send",
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


async def card_places(session: AsyncSession, card_key: str) -> list[tuple[str, str, bool]]:
    """Every (platform, chat, is_direct) where a card was posted or is about to be."""
    places: dict[tuple[str, str], bool] = {}
    refs = await session.exec(select(CardRef).where(CardRef.card_key == card_key))
    for ref in refs.all():
        places[(ref.platform, ref.chat_external_id)] = False
    queued = await session.exec(
        select(Outbox).where(Outbox.card_key == card_key, Outbox.kind == "send")
    )
    for row in queued.all():
        places[(row.platform, row.chat_external_id)] = row.is_direct
    return [(platform, chat, direct) for (platform, chat), direct in places.items()]


async def claim_notification(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """Write ``key`` to the ledger; False if it was written before (so: do not send again)."""
    if await session.get(NotificationKey, key) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(NotificationKey(key=key, created_at=now))
    except IntegrityError:
        return False
    return True


async def link_notification(session: AsyncSession, *, key: str, outbox_id: int | None) -> None:
    row = await session.get(NotificationKey, key)
    if row is not None:
        row.outbox_id = outbox_id
        session.add(row)


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
        .where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
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
    query = select(func.min(Outbox.next_attempt_at)).where(Outbox.status == "pending")
    return (await session.exec(query)).one()


async def next_in_chat(
    session: AsyncSession, *, platform: str, chat_external_id: str
) -> Outbox | None:
    """The oldest pending message of a chat (later ones wait behind it: per-chat order)."""
    query = (
        select(Outbox)
        .where(
            Outbox.status == "pending",
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


async def record_card(
    session: AsyncSession,
    *,
    card_key: str,
    platform: str,
    chat_external_id: str,
    message_id: str,
    now: datetime,
) -> None:
    existing = (
        await session.exec(
            select(CardRef).where(
                CardRef.card_key == card_key,
                CardRef.platform == platform,
                CardRef.chat_external_id == chat_external_id,
            )
        )
    ).first()
    if existing is None:
        session.add(
            CardRef(
                card_key=card_key,
                platform=platform,
                chat_external_id=chat_external_id,
                message_id=message_id,
                created_at=now,
            )
        )
    else:
        existing.message_id = message_id


async def card_message_id(
    session: AsyncSession, *, card_key: str, platform: str, chat_external_id: str
) -> str | None:
    ref = (
        await session.exec(
            select(CardRef).where(
                CardRef.card_key == card_key,
                CardRef.platform == platform,
                CardRef.chat_external_id == chat_external_id,
            )
        )
    ).first()
    return ref.message_id if ref else None


async def stuck(session: AsyncSession, *, now: datetime, older_than: timedelta) -> Sequence[Outbox]:
    """Failed messages, and pending ones that are retrying after errors or were due more
    than ``older_than`` ago."""
    waiting = or_(
        col(Outbox.failing_since).is_not(None), col(Outbox.next_attempt_at) < now - older_than
    )
    late = and_(col(Outbox.status) == "pending", waiting)
    query = select(Outbox).where(or_(col(Outbox.status) == "failed", late))
    query = query.order_by(col(Outbox.id))
    return (await session.exec(query)).all()


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """How many messages are pending and how many failed (sent ones are history)."""
    query = (
        select(Outbox.status, func.count())
        .where(col(Outbox.status).in_(("pending", "failed")))
        .group_by(col(Outbox.status))
    )
    return {status: int(count) for status, count in (await session.exec(query)).all()}


async def retry_failed(session: AsyncSession, *, now: datetime, ids: Sequence[int] = ()) -> int:
    """Queue failed messages (all, or those in ``ids``) again, with a fresh give-up clock."""
    statement = update(Outbox).where(col(Outbox.status) == "failed")
    if ids:
        statement = statement.where(col(Outbox.id).in_(ids))
    result = await session.exec(
        statement.values(
            status="pending",
            next_attempt_at=now,
            attempts=0,
            last_error=None,
            failing_since=None,
        )
    )
    return int(result.rowcount or 0)


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are in the ledger already (one query per 500 keys)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(NotificationKey.key).where(col(NotificationKey.key).in_(chunk))
        found.update((await session.exec(query)).all())
    return found

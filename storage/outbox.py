"""The transactional outbox, the notification-key ledger and card references."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import CardRef, NotificationKey, Outbox, ProcessedEvent


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
) -> Outbox:
    row = Outbox(
        platform=platform,
        chat_external_id=chat_external_id,
        is_direct=is_direct,
        thread_id=thread_id,
        member_id=member_id,
        kind=kind,
        card_key=card_key,
        payload=payload,
        next_attempt_at=now,
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


async def seen_event(session: AsyncSession, *, platform: str, event_id: str) -> bool:
    return await session.get(ProcessedEvent, (platform, event_id)) is not None


async def mark_event(session: AsyncSession, *, platform: str, event_id: str, now: datetime) -> bool:
    """Record an inbound event; False if another worker recorded it first."""
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(platform=platform, event_id=event_id, at=now))
    except IntegrityError:
        return False
    return True


async def pending_chats(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> Sequence[tuple[str, str]]:
    """Chats with messages ready to go, oldest first."""
    query = (
        select(Outbox.platform, Outbox.chat_external_id, func.min(Outbox.id))
        .where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
        .group_by(col(Outbox.platform), col(Outbox.chat_external_id))
        .order_by(func.min(Outbox.id))
        .limit(limit)
    )
    return [(platform, chat) for platform, chat, _ in (await session.exec(query)).all()]


async def next_in_chat(
    session: AsyncSession, *, platform: str, chat_external_id: str, lock: bool = False
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
    if lock:
        query = query.with_for_update(skip_locked=True)
    return (await session.exec(query)).first()


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
    """Failed messages, and pending ones that should have gone long ago."""
    late = and_(col(Outbox.status) == "pending", col(Outbox.created_at) < now - older_than)
    query = select(Outbox).where(or_(col(Outbox.status) == "failed", late))
    query = query.order_by(col(Outbox.id))
    return (await session.exec(query)).all()


async def retry_failed(session: AsyncSession, *, now: datetime, ids: Sequence[int] = ()) -> int:
    statement = update(Outbox).where(col(Outbox.status) == "failed")
    if ids:
        statement = statement.where(col(Outbox.id).in_(ids))
    result = await session.exec(
        statement.values(
            status="pending",
            next_attempt_at=now,
            attempts=0,
            last_error=None,
        )
    )
    return int(result.rowcount or 0)

"""Card references: where each card was posted, so a later update edits it in place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import CardRef, Outbox, OutboxKind


async def card_places(session: AsyncSession, card_key: str) -> list[tuple[str, str, bool]]:
    """Every (platform, chat, is_direct) where a card was posted or is about to be."""
    places: dict[tuple[str, str], bool] = {}
    refs = await session.exec(select(CardRef).where(CardRef.card_key == card_key))
    for ref in refs.all():
        places[(ref.platform, ref.chat_external_id)] = False
    queued = await session.exec(
        select(Outbox).where(Outbox.card_key == card_key, Outbox.kind == OutboxKind.SEND)
    )
    for row in queued.all():
        places[(row.platform, row.chat_external_id)] = row.is_direct
    return [(platform, chat, direct) for (platform, chat), direct in places.items()]


async def record_card(
    session: AsyncSession,
    *,
    card_key: str,
    platform: str,
    chat_external_id: str,
    message_id: str,
    now: datetime,
) -> None:
    """Remember (or move) the card's message in a chat; one upsert, so two replicas
    recording the same place never collide — the later message id wins."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(CardRef).values(
        card_key=card_key,
        platform=platform,
        chat_external_id=chat_external_id,
        message_id=message_id,
        created_at=now,
    )
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["card_key", "platform", "chat_external_id"],
            set_={"message_id": statement.excluded.message_id},
        )
    )


async def card_message_id(
    session: AsyncSession, *, card_key: str, platform: str, chat_external_id: str
) -> str | None:
    query = select(CardRef.message_id).where(
        CardRef.card_key == card_key,
        CardRef.platform == platform,
        CardRef.chat_external_id == chat_external_id,
    )
    return (await session.exec(query)).first()

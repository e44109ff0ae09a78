"""The notification-key ledger: a proactive message's key is written once, so it is sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import NotificationKey


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


async def link_notification(session: AsyncSession, *, key: str, outbox_id: int) -> None:
    """Note which outbox row carries the notice sent under ``key`` (for tracing)."""
    row = await session.get(NotificationKey, key)
    if row is not None:
        row.outbox_id = outbox_id
        session.add(row)


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are in the ledger already (one query per 500 keys)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(NotificationKey.key).where(col(NotificationKey.key).in_(chunk))
        found.update((await session.exec(query)).all())
    return found

"""Race-safe writes to shared rows, for replicas sharing one database.

Two ``concord serve`` replicas may handle events about the same row at the same moment, so
"look, then write" is never enough on its own:

- ``insert_absent`` is an upsert that does nothing on a unique-key conflict
  (``INSERT … ON CONFLICT DO NOTHING`` on both dialects): first contacts never fail, the
  caller then reads the row that won;
- ``lock`` re-reads a row and holds it until commit before the caller checks its state, so
  a second decision on the same row waits for the first and then sees its outcome.

``id_of`` reads a row's id and fails loudly when there is none: a row read before it was
flushed must not silently become a lookup of row 0.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import inspect, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=SQLModel)


class MissingId(RuntimeError):
    """A row's id was needed before the row was saved: a bug, never bad input."""


class Identified(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: Identified) -> int:
    """``row.id``, which must be there (a loaded row, or a new one after a flush)."""
    if row.id is None:
        raise MissingId(f"{type(row).__name__} has no id (not flushed?)")
    return row.id


async def saved_id(session: AsyncSession, row: Identified) -> int:
    """The id of a row that may have just been added: flush it first if it has none."""
    if row.id is None:
        await session.flush()
    return id_of(row)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_absent(session: AsyncSession, row: SQLModel) -> Any | None:
    """Insert ``row``'s values unless a unique key already has them.

    Returns the new row's primary key, or None when the row was there (or is being written
    by another transaction, which PostgreSQL waits for). ``row`` itself is not added to the
    session: read the winner back with a query.
    """
    mapper = inspect(type(row))
    key = mapper.primary_key[0]
    values = {
        column.key: getattr(row, column.key)
        for column in mapper.columns
        if not (column.primary_key and getattr(row, column.key) is None)
    }
    insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
    statement = insert(mapper.local_table).values(values).on_conflict_do_nothing()
    result = await session.exec(statement.returning(key))
    return result.scalar_one_or_none()


async def lock(session: AsyncSession, row: Row) -> Row:
    """Re-read ``row`` and keep it for this transaction; returns it, refreshed.

    PostgreSQL: ``SELECT … FOR UPDATE`` (another transaction changing or locking the row
    waits until this one commits). SQLite has no row locks, only one writer at a time: a
    no-op write takes that write lock before the re-read, with the same effect.
    """
    if _dialect(session) == "sqlite":
        key = inspect(type(row)).primary_key[0]
        await lock_id(session, type(row), getattr(row, key.key))
    await session.refresh(row, with_for_update=True)
    return row


async def lock_id(session: AsyncSession, model: type[SQLModel], row_id: Any) -> None:
    """``lock`` for a row that is not loaded: only its id is known."""
    mapper = inspect(model)
    key = mapper.primary_key[0]
    if _dialect(session) == "sqlite":
        same = update(mapper.local_table).where(key == row_id).values({key: key})
        await session.exec(same)
    else:
        await session.exec(select(key).where(key == row_id).with_for_update())

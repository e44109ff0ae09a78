"""Bulk loading for the benchmarks: fresh migrated databases, then rows straight into the
tables — ``executemany`` on SQLite, ``COPY`` on PostgreSQL — far faster than the ORM."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db

Row = Sequence[Any]
TABLES_WITH_IDS = (
    "member",
    "project",
    "chat",
    "phase",
    "task",
    "issue",
    "resourcerequest",
    "approvalstep",
    "meeting",
)


async def fresh_database(url: str) -> AsyncEngine:
    """An empty, migrated database at ``url`` (a PostgreSQL schema ``public`` is dropped)."""
    if db.is_sqlite(url):
        _remove_sqlite_files(url)
    engine = db.create_engine(url)
    if not db.is_sqlite(url):
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await db.upgrade(engine)
    return engine


def _remove_sqlite_files(url: str) -> None:
    path = Path(make_url(db.normalize_url(url)).database or "")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def insert(
    engine: AsyncEngine, table: str, columns: Sequence[str], rows: Iterable[Row]
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order); returns how many."""
    batch = list(rows)
    if db.is_sqlite(engine):
        _sqlite_insert(engine, table, columns, batch)
    else:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                table, records=batch, columns=list(columns)
            )
    return len(batch)


def _sqlite_insert(
    engine: AsyncEngine, table: str, columns: Sequence[str], rows: list[Row]
) -> None:
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    with sqlite3.connect(engine.url.database or "") as connection:
        connection.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy would store: UTC datetimes as text without offset, bools as 0/1."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def finish(engine: AsyncEngine) -> None:
    """Fresh planner statistics; PostgreSQL sequences moved past the loaded ids."""
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
        if db.is_sqlite(engine):
            return
        for table in TABLES_WITH_IDS:
            await connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
            )

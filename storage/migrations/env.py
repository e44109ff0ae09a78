"""Alembic environment: runs on the connection handed in by ``storage.db.upgrade``,
or opens one from the configured URL when Alembic's own CLI is used."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # noqa: F401

target_metadata = SQLModel.metadata


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    from storage.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async(context.config.get_main_option("sqlalchemy.url") or ""))

"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from storage import db


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = db.create_engine(database_url)

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
        assert await db.current_revision(engine) == db.head_revision()
        assert not await db.needs_upgrade(engine)
    finally:
        await engine.dispose()


async def test_upgrade_is_idempotent(tmp_path: Any) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        assert await db.needs_upgrade(engine)
        await db.upgrade(engine)
        await db.upgrade(engine)
        assert await db.current_revision(engine) == db.head_revision()
    finally:
        await engine.dispose()

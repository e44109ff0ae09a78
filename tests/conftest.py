"""Shared fixtures: a real database per test (SQLite always; PostgreSQL when
``CONCORD_TEST_DATABASE_URL`` is set), a manual clock, and a console driver."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.dates.clock import ManualClock
from bot.main import App, build_app
from bot.settings import Settings
from storage import db
from tests.console_driver import ConsoleDriver

PG_URL = os.environ.get("CONCORD_TEST_DATABASE_URL")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-23 09:00 in Shanghai: a working day far from holidays.
START = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "concord.db"
    db.upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    assert PG_URL is not None
    import asyncio

    async def reset() -> None:
        engine = db.create_engine(PG_URL)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await db.upgrade(engine)
        await engine.dispose()

    asyncio.run(reset())
    return PG_URL


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database for one test, on each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "concord.db"
        shutil.copy(template, target)
        return f"sqlite+aiosqlite:///{target}"
    if PG_URL is None:
        pytest.skip("set CONCORD_TEST_DATABASE_URL to run the PostgreSQL tests")
    url: str = request.getfixturevalue("postgres_ready")
    import asyncio

    asyncio.run(_truncate(url))
    return url


async def _truncate(url: str) -> None:
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        rows = await connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        )
        names = ", ".join(f'"{row[0]}"' for row in rows)
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    settings = Settings()
    settings.database_url = database_url
    settings.auto_migrate = False
    # A loaded test machine can take seconds for an SQLite write; the tests that are about the
    # intake's time limit set their own.
    settings.inbox.store_timeout_seconds = 30.0
    return settings


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock, migrate=False)
    yield application
    await application.close()


@pytest.fixture
def console(app: App, clock: ManualClock) -> ConsoleDriver:
    """Drive the real console adapter with script lines; returns what it prints."""
    return ConsoleDriver(app, clock)

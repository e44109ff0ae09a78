"""Engine, sessions and schema migrations.

SQLite (``sqlite+aiosqlite:///concord.db``) is the embedded default: WAL mode and foreign keys
are switched on for every connection. PostgreSQL (``postgresql+asyncpg://…``) is the
production store. The schema is created and changed only by the Alembic migrations in
``storage/migrations``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

import storage.tables  # noqa: F401  (registers every table on the metadata)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite+aiosqlite:///concord.db"

SessionFactory = async_sessionmaker[AsyncSession]
SQLITE_BUSY_SECONDS = 5.0
# SQLite has one writer at a time (every transaction here is BEGIN IMMEDIATE) and a waiting
# connection polls in its busy handler, so under load the back-to-back transactions of the
# inbox workers and the delivery loop can starve a new one past the inbox's store timeout
# (a kill -9 fault test saw 2-6 of 200 slash commands told "can't reach the database").
# One process per SQLite file is enforced (``single_process``), so its transactions queue
# in the process instead: first come, first served.
# Storing an inbound event is urgent: a platform waits for its acknowledgement (Slack gives up
# after 3 s), so it goes before every ordinary transaction that is waiting.


class Turns:
    """One transaction at a time, first come first served, urgent ones first."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._busy and not self._urgent and not self._ordinary:
            self._busy = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._ordinary
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed over just as the wait was cancelled: pass it on
            elif turn in queue:
                queue.remove(turn)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._ordinary):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self._busy = False


_sqlite_turns: weakref.WeakKeyDictionary[AsyncEngine, Turns] = weakref.WeakKeyDictionary()


def normalize_url(url: str) -> str:
    """Accept the plain driver-less spellings people paste (``postgresql://``, ``sqlite:///``)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    name = (
        url_or_engine.url.drivername
        if isinstance(url_or_engine, AsyncEngine)
        else make_url(url_or_engine).drivername
    )
    return name.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    cursor.close()
    # SQLAlchemy emits BEGIN itself (below), so the driver must not start transactions.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    # A deferred transaction that reads, then writes after another connection committed,
    # fails at once with SQLITE_BUSY (the busy timeout does not apply to that upgrade).
    # Taking the write lock up front makes concurrent transactions queue instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalize_url(url)
    if is_sqlite(url):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        _sqlite_turns[engine] = Turns()
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # An unreachable server must not hang a worker for asyncpg's default minute (intake has
    # its own, shorter bound: [inbox] store_timeout_seconds).
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("timeout", 10)
    kwargs.setdefault("pool_timeout", 10)
    return create_async_engine(url, **kwargs)


def create_intake_engine(engine: AsyncEngine) -> AsyncEngine:
    """A small pool beside ``engine``'s for storing inbound events: no pre-ping (one round
    trip per store; a dead connection fails the store, which the platform retries)."""
    url = engine.url.render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=False, pool_size=3, max_overflow=5)


def is_unavailable(error: BaseException) -> bool:
    """The database is unreachable or busy (not a bug in the statement): try again later."""
    if isinstance(error, OperationalError | InterfaceError | SATimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OSError | TimeoutError | ConnectionError):
        return True
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and _unavailable_cause(cause)


def _unavailable_cause(error: BaseException) -> bool:
    name = type(error).__name__
    return isinstance(error, OSError | TimeoutError | ConnectionError) or name in (
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "TooManyConnectionsError",
        "AdminShutdownError",
    )


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    factory: SessionFactory, *, urgent: bool = False
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any exception. ``urgent``: on
    SQLite, go before the transactions waiting for their turn (an acknowledgement waits)."""
    async with AsyncExitStack() as stack:
        turn = _sqlite_turns.get(factory.kw.get("bind"))  # type: ignore[arg-type]
        if turn is not None:
            # As long as SQLite's own busy timeout: then "busy", as it would have said.
            async with asyncio.timeout(SQLITE_BUSY_SECONDS):
                await turn.acquire(urgent=urgent)
            stack.callback(turn.release)
        session = await stack.enter_async_context(factory())
        await stack.enter_async_context(session.begin())
        yield session


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config(DEFAULT_URL))
    return script.get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` on ``engine``'s database."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.begin() as connection:
        config.attributes["connection"] = connection

        def run(sync_connection: Any) -> None:
            config.attributes["connection"] = sync_connection
            command.upgrade(config, revision)

        await connection.run_sync(run)


async def needs_upgrade(engine: AsyncEngine) -> bool:
    return await current_revision(engine) != head_revision()


def upgrade_sync(url: str) -> None:
    """``concord db upgrade`` entry point."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())

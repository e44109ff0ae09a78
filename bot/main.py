"""The composition root: builds the store, dispatcher, inbox, scheduler, delivery and the
enabled adapters from settings, and runs each ``concord`` sub-command.

The only core module allowed to import ``commands`` and ``adapters``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

import commands
from adapters import registry
from adapters.base import Adapter, Host
from adapters.console.platform import ConsoleAdapter
from adapters.console.session import ConsoleSession, run
from adapters.http import WebServer, make_web_app
from bot.dates.clock import Clock, ManualClock, SystemClock, to_utc
from bot.dates.workdays import WorkCalendar, make_calendar
from bot.demo import DEMO_PROJECT, DEMO_SCRIPT, DEMO_STARTS_AGO
from bot.errors import UserError
from bot.inbound.dispatch import Dispatcher
from bot.inbound.inbox import Inbox
from bot.inbound.profiles import ProfileStore
from bot.outbound import outbox_report
from bot.outbound.delivery import Deliverer
from bot.outbound.platform import Platform
from bot.scheduler import Job, Scheduler
from bot.service import Service
from bot.settings import Settings
from bot.settings import load_settings as load_core_settings
from commands.escalations import jobs as escalations
from commands.issues import jobs as issues
from commands.meetings import jobs as meetings
from commands.parsing.durations import parse_duration
from commands.people import daily
from commands.plans import jobs as plans
from commands.reports import jobs as digest
from commands.requests import jobs as approvals
from commands.tasks import jobs as tasks
from storage import db, single_process
from storage.db import transaction
from storage.inbox import queries as inbox_store
from storage.projects import queries as projects

logger = logging.getLogger("concord")


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings file and environment, with every registered adapter's own section."""
    return load_core_settings(path, environ, sections=registry.settings_loaders())


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: db.SessionFactory
    clock: Clock
    calendar: WorkCalendar
    dispatcher: Dispatcher
    inbox: Inbox
    scheduler: Scheduler
    deliverer: Deliverer
    platforms: dict[str, Platform] = field(default_factory=dict)
    adapters: dict[str, Adapter] = field(default_factory=dict)
    _lock: Path | None = None

    def attach(self, adapter: Adapter | ConsoleAdapter) -> None:
        """Deliver through ``adapter`` and let its directory name people before events run."""
        self.adapters[adapter.name] = adapter  # type: ignore[assignment]
        self.platforms[adapter.name] = adapter.platform
        if adapter.people is not None:
            self.inbox.directories[adapter.name] = adapter.people

    def deliver_through(self, platforms: Mapping[str, Platform]) -> None:
        """Deliver through these platforms (tools and tests without whole adapters)."""
        self.platforms.update(platforms)

    async def deliver(self) -> int:
        return await self.deliverer.drain()

    async def settle(self) -> None:
        """Run every stored event and deliver what is due (console, tests)."""
        await self.inbox.drain()
        await self.deliver()

    async def advance(self, clock: ManualClock, text: str) -> None:
        """``:advance 3d``: tick the scheduler across the span, settling after each tick."""
        duration = parse_duration(text)
        if duration.working_days:
            zone = ZoneInfo(self.settings.timezone)
            start = clock.now().astimezone(zone)
            span = self.calendar.add_working_time(start, duration.working_days) - start
        else:
            span = duration.to_timedelta()
        if span <= timedelta(0):
            raise UserError("console.bad_advance")
        await self.scheduler.run_span(clock, span, after_tick=self.settle)
        await self.settle()

    def host(self, web_app: Any) -> Host:
        return Host(
            inbox=self.inbox,
            web=web_app,
            settings=self.settings,
            clock=self.clock,
            profiles=ProfileStore(self.sessions),
        )

    async def health(self) -> tuple[bool, dict[str, Any]]:
        try:
            revision = await db.current_revision(self.engine)
            async with transaction(self.sessions) as session:
                pending = await inbox_store.pending_count(session)
        except Exception as error:
            if not db.is_unavailable(error):
                raise
            return False, {"status": "error", "database": "unreachable"}
        adapters = sorted(name for name in self.adapters if name != "console")
        return True, {
            "status": "ok",
            "database": revision,
            "adapters": adapters,
            "inbox_pending": pending,
        }

    async def close(self) -> None:
        if self.inbox.intake_engine is not None:
            await self.inbox.intake_engine.dispose()
        await self.engine.dispose()
        single_process.release(self._lock)


def scheduled_jobs() -> Sequence[Job]:
    """The proactive jobs, in the order a tick runs them."""
    return (
        tasks.run,
        issues.run,
        approvals.run,
        meetings.run,
        plans.run,
        escalations.run,
        digest.run,
        daily.run,
    )


async def build_app(
    settings: Settings, clock: Clock, *, migrate: bool | None = None, exclusive: bool = True
) -> App:
    """Everything but the adapters. ``exclusive``: refuse an SQLite file another process
    uses (``single_process.DatabaseInUse``)."""
    lock = single_process.acquire(settings.database_url) if exclusive else None
    engine = db.create_engine(settings.database_url)
    try:
        should_migrate = settings.auto_migrate if migrate is None else migrate
        if should_migrate and await db.needs_upgrade(engine):
            logger.info("upgrading the database schema to %s", db.head_revision())
            await db.upgrade(engine)
    except BaseException:
        await engine.dispose()
        single_process.release(lock)
        raise
    sessions = db.session_factory(engine)
    calendar = make_calendar(settings.calendar)
    dispatcher = Dispatcher(
        router=commands.router(), sessions=sessions, settings=settings, clock=clock
    )
    inbox = Inbox(
        sessions=sessions,
        dispatcher=dispatcher,
        clock=clock,
        settings=settings.inbox,
        # SQLite writes one transaction at a time anyway; PostgreSQL runs chats side by side.
        concurrency=1 if db.is_sqlite(engine) else settings.inbox.workers,
        intake_engine=None if db.is_sqlite(engine) else db.create_intake_engine(engine),
    )
    platforms: dict[str, Platform] = {}
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        calendar=calendar,
        dispatcher=dispatcher,
        inbox=inbox,
        scheduler=Scheduler(
            jobs=scheduled_jobs(), sessions=sessions, settings=settings, calendar=calendar
        ),
        deliverer=Deliverer(
            sessions=sessions, platforms=platforms, clock=clock, settings=settings.delivery
        ),
        platforms=platforms,
        _lock=lock,
    )


def create_adapters(app: App, web_app: Any) -> list[Adapter]:
    """The enabled adapters of the registry, created on one host and attached to ``app``."""
    created: list[Adapter] = []
    host = app.host(web_app)
    for spec in registry.ADAPTERS:
        section = app.settings.adapters.get(spec.name)
        if section is None or not getattr(section, "enabled", False):
            continue
        adapter = spec.factory()(host, section)
        app.attach(adapter)
        created.append(adapter)
    return created


# --- the sub-commands ---


async def console(
    settings: Settings, clock: ManualClock, *, user: str, chat: str, demo: bool
) -> int:
    app = await build_app(settings, clock)
    try:
        if demo:
            await seed_demo(app, clock, chat=chat, quiet=True)
        session = ConsoleSession(app, clock, user=user, chat=chat, write=_stdout)
        if demo and sys.stdin.isatty():
            _stdout(f"Demo project loaded into chat '{chat}'. Try: board, my, help\n\n")
        await run(session, sys.stdin)
    finally:
        await app.close()
    return 0


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def seed_demo(app: App, clock: ManualClock, *, chat: str, quiet: bool) -> bool:
    """Load the demo project unless it is there already. Returns True when it was loaded."""
    async with transaction(app.sessions) as session:
        if await projects.project_by_name(session, DEMO_PROJECT) is not None:
            return False
    buffer = io.StringIO()
    seeding = ConsoleSession(app, clock, user="alice", chat=chat, write=_discard_into(buffer))
    today = clock.now()
    clock.set(today - DEMO_STARTS_AGO)
    try:
        for line in DEMO_SCRIPT.strip().splitlines():
            if line.startswith(":wait "):
                clock.advance(parse_duration(line.split()[1]).to_timedelta())
            else:
                await seeding.handle_line(line)
    finally:
        clock.set(today)
    if not quiet:
        _stdout(buffer.getvalue())
    return True


def _discard_into(buffer: io.StringIO) -> Callable[[str], None]:
    def write(text: str) -> None:
        buffer.write(text)

    return write


async def demo(settings: Settings, clock: ManualClock, *, chat: str) -> int:
    app = await build_app(settings, clock)
    try:
        loaded = await seed_demo(app, clock, chat=chat, quiet=True)
    finally:
        await app.close()
    print(
        f"Demo project “{DEMO_PROJECT}” "
        + (f"loaded into console chat '{chat}'." if loaded else "is already there.")
    )
    print("Start the console with: concord console   (then type: board)")
    return 0


async def database(settings: Settings, action: str) -> int:
    engine = db.create_engine(settings.database_url)
    try:
        if action == "upgrade":
            await db.upgrade(engine)
        print(
            f"database at revision {await db.current_revision(engine)} "
            f"(latest {db.head_revision()})"
        )
    finally:
        await engine.dispose()
    return 0


async def outbox_command(
    settings: Settings, action: str, ids: Sequence[int] = (), clock: Clock | None = None
) -> int:
    # A short look at the outbox is safe beside a running server, also on SQLite.
    app = await build_app(settings, clock or SystemClock(), exclusive=False)
    try:
        async with transaction(app.sessions) as session:
            now = to_utc(app.clock.now())
            if action == "retry":
                print(await outbox_report.retry(session, now=now, ids=ids))
            else:
                print(await outbox_report.report(session, now=now))
    finally:
        await app.close()
    return 0


@dataclass
class Server:
    """A running ``concord serve``: the web server, the adapters and the service loops."""

    app: App
    web: WebServer
    service: Service
    port: int

    async def stop(self) -> None:
        await self.service.stop()
        await self.app.close()


async def start_server(app: App, *, port: int | None = None) -> Server:
    """Mount the enabled adapters, start listening (``port=0``: a free port) and start the
    inbox workers, delivery and the scheduler's clock."""
    web_app = make_web_app(app.health)
    adapters = create_adapters(app, web_app)
    web = WebServer(web_app)
    service = Service(
        settings=app.settings,
        clock=app.clock,
        inbox=app.inbox,
        deliverer=app.deliverer,
        scheduler=app.scheduler,
        adapters=adapters,
        web_stop=web.stop,
    )
    bound = await web.start(
        app.settings.server.host, app.settings.server.port if port is None else port
    )
    await service.start()
    return Server(app, web, service, bound)


async def serve(settings: Settings) -> int:
    app = await build_app(settings, SystemClock())
    try:
        server = await start_server(app)
    except BaseException:
        await app.close()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    logger.warning(
        "stopping: finishing events in progress (up to %ss)", settings.inbox.grace_seconds
    )
    await server.stop()
    logger.warning("stopped")
    return 0

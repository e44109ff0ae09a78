"""Building one Concord: the store, dispatcher, inbox, scheduler, delivery and the enabled
adapters, from settings."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
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
from bot.dates.clock import Clock, ManualClock
from bot.dates.workdays import WorkCalendar, make_calendar
from bot.errors import UserError
from bot.inbound.dispatch import Dispatcher
from bot.inbound.inbox import Inbox
from bot.inbound.profiles import ProfileStore
from bot.outbound.delivery import Deliverer
from bot.outbound.platform import Platform
from bot.scheduler import Job, Scheduler
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

"""Composition root: builds the engine, dispatcher, scheduler and delivery from settings.

The only core module (with ``bot.cli``) allowed to import ``commands`` and ``adapters``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

import commands
from bot.clock import Clock
from bot.delivery import Deliverer
from bot.dispatch import Dispatcher
from bot.jobs import approvals, daily, digest, escalations, issues, meetings, plans, tasks
from bot.platform import Platform
from bot.scheduler import Job, Scheduler
from bot.settings import Settings
from bot.workdays import make_calendar
from storage import db

logger = logging.getLogger("concord")


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: db.SessionFactory
    clock: Clock
    dispatcher: Dispatcher
    scheduler: Scheduler
    platforms: dict[str, Platform] = field(default_factory=dict)
    deliverer: Deliverer | None = None
    # Adapters drain right after queueing a reply while the server's loop drains on a
    # timer; one drain at a time keeps SQLite (no row locks) from sending a row twice.
    _delivering: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def attach(self, platforms: Mapping[str, Platform]) -> None:
        """Give the app the adapters it delivers through (after they are built)."""
        self.platforms.update(platforms)
        self.deliverer = Deliverer(
            sessions=self.sessions,
            platforms=self.platforms,
            clock=self.clock,
            settings=self.settings.delivery,
        )

    async def deliver(self) -> int:
        if self.deliverer is None:
            return 0
        async with self._delivering:
            return await self.deliverer.drain()

    async def close(self) -> None:
        await self.engine.dispose()


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


async def build_app(settings: Settings, clock: Clock, *, migrate: bool | None = None) -> App:
    engine = db.create_engine(settings.database_url)
    should_migrate = settings.auto_migrate if migrate is None else migrate
    if should_migrate and await db.needs_upgrade(engine):
        logger.info("upgrading the database schema to %s", db.head_revision())
        await db.upgrade(engine)
    sessions = db.session_factory(engine)
    dispatcher = Dispatcher(
        router=commands.router(), sessions=sessions, settings=settings, clock=clock
    )
    scheduler = Scheduler(
        jobs=scheduled_jobs(),
        sessions=sessions,
        settings=settings,
        calendar=make_calendar(settings.calendar),
    )
    return App(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        dispatcher=dispatcher,
        scheduler=scheduler,
    )

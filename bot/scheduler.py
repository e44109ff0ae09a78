"""The proactive half's clock: APScheduler (in ``bot.main``) only calls ``Scheduler.tick``.

A job is a plain async function of a ``JobContext`` that asks the database what is due at
``ctx.now`` and writes messages to the outbox under notification keys; running it twice, on
two replicas, or after downtime sends nothing twice. The console's ``:advance`` calls
``run_span`` to replay exactly what ticks would have run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.dates.clock import ManualClock
from bot.dates.workdays import WorkCalendar
from bot.settings import Settings
from storage.db import SessionFactory, is_unavailable

logger = logging.getLogger("concord.scheduler")


@dataclass(frozen=True)
class JobContext:
    sessions: SessionFactory
    settings: Settings
    calendar: WorkCalendar
    now: datetime  # aware UTC


CONSOLE_STEP = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Job = Callable[[JobContext], Awaitable[None]]
AfterTick = Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(
        self,
        *,
        jobs: Sequence[Job],
        sessions: SessionFactory,
        settings: Settings,
        calendar: WorkCalendar,
    ) -> None:
        self.jobs = tuple(jobs)
        self.sessions = sessions
        self.settings = settings
        self.calendar = calendar

    async def tick(self, now: datetime) -> None:
        """Run every job once for ``now``; one job's failure does not stop the others."""
        ctx = JobContext(self.sessions, self.settings, self.calendar, now)
        for job in self.jobs:
            try:
                await job(ctx)
            except Exception as error:
                if is_unavailable(error):
                    raise  # the database is down: the caller logs the outage once
                logger.exception("scheduled job %s failed at %s", job.__module__, now)

    async def run_span(
        self,
        clock: ManualClock,
        span: timedelta,
        *,
        step: timedelta = CONSOLE_STEP,
        after_tick: AfterTick | None = None,
    ) -> None:
        """Move ``clock`` forward by ``span``, ticking (and delivering) on every ``step``
        boundary of the wall clock (:00, :15, :30, :45) and at the end.

        The jobs ask "what is due at now?", so ticking less often than the server's
        ``tick_seconds`` sends the same messages, each at most one step later.
        """
        end = clock.now() + span
        while clock.now() < end:
            clock.set(min(next_boundary(clock.now(), step), end))
            await self.tick(clock.now())
            if after_tick is not None:
                await after_tick()


def next_boundary(moment: datetime, step: timedelta) -> datetime:
    """The first multiple of ``step`` (counted from the Unix epoch) after ``moment``."""
    seconds = step.total_seconds()
    elapsed = (moment - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=(elapsed // seconds + 1) * seconds)

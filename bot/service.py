"""What runs in ``concord serve`` besides the adapters: the inbox workers, the delivery loop
and the scheduler's clock — and the order in which a graceful stop takes them down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.dates.clock import Clock
from bot.inbound.inbox import Inbox
from bot.outage import OutageLog
from bot.outbound.delivery import Deliverer
from bot.scheduler import Scheduler
from bot.settings import Settings
from storage.db import is_unavailable

logger = logging.getLogger("concord")


class Stoppable(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Service:
    settings: Settings
    clock: Clock
    inbox: Inbox
    deliverer: Deliverer
    scheduler: Scheduler
    adapters: Sequence[Stoppable]
    web_stop: Callable[[], Awaitable[None]] | None = None  # closes the HTTP server
    _wake_delivery: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _deliveries: asyncio.Task[None] | None = None
    _ticker: AsyncIOScheduler | None = None
    _tick: asyncio.Task[None] | None = None

    def wake_delivery(self) -> None:
        self._wake_delivery.set()

    async def start(self) -> None:
        for adapter in self.adapters:
            await adapter.start()
        self.inbox.on_processed = self.wake_delivery
        self.deliverer.yield_to = self.inbox.intake_quiet
        self.inbox.start()
        self._deliveries = asyncio.create_task(self._delivery_loop(), name="delivery")
        self._ticker = self._start_clock()

    async def stop(self) -> None:
        """Stop intake, let events being run finish (bounded), stop delivery after its
        current message, then return; whatever is left stays stored for the next start."""
        self._stopping = True
        self.inbox.close()
        if self.web_stop is not None:
            await self.web_stop()
        for adapter in self.adapters:
            try:
                await adapter.stop()
            except Exception:
                logger.exception("adapter %s did not stop cleanly", adapter.name)
        if self._ticker is not None:
            self._ticker.shutdown(wait=False)
        if self._tick is not None and not self._tick.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    asyncio.shield(self._tick), self.settings.inbox.grace_seconds
                )
        left = await self.inbox.stop()
        self.deliverer.stop()
        self._wake_delivery.set()
        if self._deliveries is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliveries
        if left:
            logger.warning("stopped with %s stored events left for the next start", left)

    async def _delivery_loop(self) -> None:
        """Drain the outbox; again at once while there is traffic, else on a wake-up or
        every interval."""
        outage = OutageLog(logger, "database (delivery)")
        idle = self.settings.delivery.interval_seconds
        while not self._stopping:
            self._wake_delivery.clear()
            try:
                busy = await self.deliverer.drain() > 0
                outage.recovered()
            except Exception as error:
                if is_unavailable(error):
                    outage.failed(error)
                else:
                    logger.exception("delivery pass failed")
                busy = False
            if busy:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle):
                    await self._wake_delivery.wait()

    def _start_clock(self) -> AsyncIOScheduler:
        """APScheduler as a trigger only: one interval job that asks the database what is due."""
        ticker = AsyncIOScheduler()
        outage = OutageLog(logger, "database (scheduler)")

        async def tick() -> None:
            self._tick = asyncio.current_task()
            try:
                await self.scheduler.tick(self.clock.now())
                outage.recovered()
            except Exception as error:
                if not is_unavailable(error):
                    raise
                outage.failed(error)
            self.wake_delivery()

        ticker.add_job(
            tick,
            "interval",
            seconds=self.settings.schedule.tick_seconds,
            id="tick",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
        ticker.start()
        return ticker

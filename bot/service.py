"""What runs in ``concord serve`` besides the adapters: the inbox workers, the delivery loop
and the scheduler's clock — and the order in which a graceful stop takes them down.

They run on an event loop of their own, in a worker thread: commands and rendering are CPU
work, and on the loop that answers the platforms they would delay every acknowledgement
(Slack gives up after 3 s). The two loops share nothing but the inbox's wake-ups and the
database (each with its own connections, see ``storage.db.Sessions``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.delivery import Deliverer
from bot.inbox import Inbox
from bot.outage import OutageLog
from bot.scheduler import Scheduler
from bot.settings import Settings
from storage.db import SessionFactory, is_unavailable

logger = logging.getLogger("concord")


class Stoppable(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Service:
    settings: Settings
    clock: Clock
    sessions: SessionFactory
    inbox: Inbox
    deliverer: Deliverer
    scheduler: Scheduler
    adapters: Sequence[Stoppable]
    web_stop: Callable[[], Awaitable[None]] | None = None  # closes the HTTP server
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _work_loop: asyncio.AbstractEventLoop | None = None
    _stop_work: asyncio.Event | None = None
    _wake_delivery: asyncio.Event | None = None
    _stopping: bool = False
    _tick: asyncio.Task[None] | None = None
    left: int = 0  # stored events left at the stop, for the next start

    async def start(self) -> None:
        for adapter in self.adapters:
            await adapter.start()
        self._thread = threading.Thread(target=self._work_thread, name="concord-work")
        self._thread.start()
        await asyncio.to_thread(self._ready.wait)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

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
        if self._thread is None:
            return
        loop, stop = self._work_loop, self._stop_work
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(self._thread.join)
        if self.left:
            logger.warning("stopped with %s stored events left for the next start", self.left)

    # --- the worker thread ---

    def _work_thread(self) -> None:
        try:
            asyncio.run(self._work())
        finally:
            self._ready.set()  # never leave start() waiting

    async def _work(self) -> None:
        self._work_loop = asyncio.get_running_loop()
        self._stop_work = asyncio.Event()
        self._wake_delivery = asyncio.Event()
        self.inbox.on_processed = self._wake_delivery.set
        self.inbox.start()
        deliveries = asyncio.create_task(self._delivery_loop(), name="delivery")
        ticker = self._start_clock()
        self._ready.set()
        try:
            await self._stop_work.wait()
        finally:
            await self._wind_down(ticker, deliveries)

    async def _wind_down(self, ticker: AsyncIOScheduler, deliveries: asyncio.Task[None]) -> None:
        ticker.shutdown(wait=False)
        if self._tick is not None and not self._tick.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    asyncio.shield(self._tick), self.settings.inbox.grace_seconds
                )
        self.left = await self.inbox.stop()
        self.deliverer.stop()
        assert self._wake_delivery is not None
        self._wake_delivery.set()
        with contextlib.suppress(asyncio.CancelledError):
            await deliveries
        await self.sessions.close_loop()

    async def _delivery_loop(self) -> None:
        """Drain the outbox; again at once while there is traffic, else on a wake-up or
        every interval."""
        assert self._wake_delivery is not None
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
            if self._wake_delivery is not None:
                self._wake_delivery.set()

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

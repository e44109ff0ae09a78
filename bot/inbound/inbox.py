"""The durable inbound port: every adapter hands its events here, and nothing acknowledged
is ever lost.

``receive`` stores an event (one small insert, de-duplicated by the platform's event id)
*before* the adapter acknowledges the platform. Workers then run the stored events — one
chat at a time and in order (the chat's ``InboxLane`` row lock, so also across replicas),
different chats side by side — and each event's command, its replies (outbox rows) and its
"processed" mark commit in one transaction. A crash or restart resumes what is stored.

If the event cannot be stored (database down or too slow), ``receive`` raises
``StoreUnavailable`` and the adapter answers so that the platform retries, or tells the user.
Adapters that must answer inside the platform's request (card callbacks) ask for the
answer as data (``wants_answer`` + ``answer``) instead of re-entering the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dates.clock import Clock, to_aware_utc
from bot.inbound.dispatch import Dispatcher
from bot.inbound.intake import Intake, Waiter
from bot.inbound.port import (
    Answer,
    InboxClosed,
    PeopleDirectory,
    Receipt,
    StoreUnavailable,
    answer_of,
    decode,
    with_directory_names,
)
from bot.outage import OutageLog
from bot.settings import InboxSettings
from bot.text.messages import InboundEvent
from storage.db import SessionFactory, is_unavailable, transaction
from storage.inbox import queries as store
from storage.tables import InboundEvent as StoredEvent
from storage.tables import InboundStatus

logger = logging.getLogger("concord.inbox")
__all__ = [
    "Answer",
    "InboundEvent",
    "Inbox",
    "InboxClosed",
    "PeopleDirectory",
    "Receipt",
    "StoreUnavailable",
]


@dataclass
class Inbox(Intake):
    sessions: SessionFactory
    dispatcher: Dispatcher
    clock: Clock
    settings: InboxSettings
    concurrency: int = 1
    directories: dict[str, PeopleDirectory] = field(default_factory=dict)
    on_processed: Callable[[], None] | None = None  # e.g. wake the delivery loop
    # PostgreSQL: intake's own small pool, so a store never waits behind the workers.
    intake_engine: AsyncEngine | None = None

    def __post_init__(self) -> None:
        self._closed = False
        self._stopping = False
        self._wake = asyncio.Event()
        self._busy: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._waiters: dict[int, Waiter] = {}
        self._retry_at: dict[tuple[str, str], datetime] = {}
        self._runner: asyncio.Task[None] | None = None
        self._receiving = 0  # requests being stored right now
        self._quiet = asyncio.Event()
        self._intake = OutageLog(logger, "database (intake)")
        self._work = OutageLog(logger, "database (inbox workers)")
        self._last_prune: datetime | None = None

    # --- workers ---

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="inbox")

    async def stop(self, grace: float | None = None) -> int:
        """Let events being run finish (up to ``grace`` s), then stop; returns how many
        stored events are left for the next start."""
        self.close()
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        running = list(self._busy.values())
        if running:
            limit = self.settings.grace_seconds if grace is None else grace
            _, late = await asyncio.wait(running, timeout=limit)
            for task in late:
                task.cancel()  # its transaction rolls back: the event stays stored
            if late:
                await asyncio.wait(late)
        return await self.pending()

    async def pending(self) -> int:
        try:
            async with transaction(self.sessions) as session:
                return await store.pending_count(session)
        except Exception as error:
            if not is_unavailable(error):
                raise
            return -1

    async def drain(self) -> int:
        """Run every stored event that is due, in this task (console, tests); returns how many."""
        done = 0
        while True:
            chats = await self._ready_chats()
            progressed = False
            for chat in chats:
                while await self._process_next(*chat):
                    done += 1
                    progressed = True
            if not progressed:
                return done

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                for chat in await self._ready_chats():
                    if len(self._busy) >= self.concurrency:
                        break
                    if chat not in self._busy:
                        self._busy[chat] = asyncio.create_task(self._drain_chat(chat))
                await self._maybe_prune()
            except Exception as error:
                if not is_unavailable(error):
                    logger.exception("inbox pass failed")
                else:
                    self._work.failed(error)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_seconds):
                    await self._wake.wait()

    async def _drain_chat(self, chat: tuple[str, str]) -> None:
        try:
            while not self._stopping:
                await self.intake_quiet()
                if not await self._process_next(*chat):
                    break
        except Exception:
            logger.exception("inbox worker failed on %s/%s", *chat)
        finally:
            self._busy.pop(chat, None)
            self._wake.set()

    async def _ready_chats(self) -> list[tuple[str, str]]:
        now = self._now()
        async with transaction(self.sessions) as session:
            chats = await store.ready_chats(session, now=now)
        return [c for c in chats if not _after(self._retry_at.get(c), now)]

    async def _process_next(self, platform: str, chat_id: str) -> bool:
        """Run the chat's oldest pending event; False when there is none to run now."""
        try:
            async with transaction(self.sessions) as session:
                head = await store.head_of_chat(
                    session, platform=platform, chat_external_id=chat_id
                )
                if head is None or _after(head.next_attempt_at, self._now()):
                    return False
                head_id, payload, event_id = head.id, head.payload, head.event_id
            try:
                event = replace(decode(payload), event_id=event_id)
            except (ValueError, TypeError, KeyError) as error:
                await self._unreadable(head_id, error)
                return True
            return await self._run_event(platform, chat_id, head_id, await self._prepared(event))
        except Exception as error:
            if not is_unavailable(error):
                raise
            self._work.failed(error)
            self._retry_at[(platform, chat_id)] = self._now() + timedelta(
                seconds=self.settings.retry_seconds
            )
            return False

    async def _run_event(
        self, platform: str, chat_id: str, head_id: int | None, event: InboundEvent
    ) -> bool:
        async with transaction(self.sessions) as session:
            if not await store.lock_lane(session, platform=platform, chat_external_id=chat_id):
                return False  # another replica runs this chat right now
            head = await store.head_of_chat(session, platform=platform, chat_external_id=chat_id)
            if head is None or head.id != head_id:
                return head is not None  # someone ran it meanwhile; look again
            waiter = self._waiters.get(head_id or 0)
            hold = self._hold_until() if waiter is not None and waiter.hold else None
            outcome = await self.dispatcher.run(session, event, hold_answer_until=hold)
            status = InboundStatus.FAILED if outcome.failed else InboundStatus.DONE
            store.finish(head, status=status, now=self._now(), error=outcome.failed)
            session.add(head)
        self._work.recovered()
        self._retry_at.pop((platform, chat_id), None)
        if waiter is not None and not waiter.future.done():
            waiter.future.set_result(answer_of(outcome))
        if self.on_processed is not None:
            self.on_processed()
        return True

    async def _unreadable(self, head_id: int | None, error: Exception) -> None:
        # Written by another version of Concord, or damaged: keep it for inspection.
        logger.error("inbound event %s is unreadable (%s); marked failed", head_id, error)
        async with transaction(self.sessions) as session:
            row = await session.get(StoredEvent, head_id)
            if row is not None:
                store.finish(row, status=InboundStatus.FAILED, now=self._now(), error=repr(error))
                session.add(row)

    async def _prepared(self, event: InboundEvent) -> InboundEvent:
        return await with_directory_names(
            self.directories.get(event.platform),
            event,
            limit_seconds=self.settings.lookup_timeout_seconds,
        )

    async def _maybe_prune(self) -> None:
        now = self._now()
        if self._last_prune is not None and now - self._last_prune < timedelta(hours=1):
            return
        self._last_prune = now
        async with transaction(self.sessions) as session:
            await store.prune(session, now=now, keep=timedelta(days=self.settings.keep_days))

    def _hold_until(self) -> datetime:
        return self._now() + timedelta(seconds=self.settings.answer_hold_seconds)


def _after(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and to_aware_utc(moment) > now

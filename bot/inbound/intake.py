"""The intake half of the inbound port: store an event before the platform is acknowledged,
and hand a card callback its answer as data. ``Inbox`` (the workers) builds on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dates.clock import Clock, to_utc
from bot.inbound.port import Answer, InboxClosed, Receipt, StoreUnavailable, encode, kind_of
from bot.outage import OutageLog
from bot.settings import InboxSettings
from bot.text.messages import InboundEvent
from storage.db import SessionFactory, is_unavailable, transaction
from storage.delivery import outbox
from storage.inbox import queries as store

logger = logging.getLogger("concord.inbox")


@dataclass
class Waiter:
    future: asyncio.Future[Answer]
    hold: bool = True


class Intake:
    """Methods over the state ``Inbox`` declares (it is a dataclass; this is its intake side)."""

    sessions: SessionFactory
    clock: Clock
    settings: InboxSettings
    intake_engine: AsyncEngine | None
    _closed: bool
    _wake: asyncio.Event
    _waiters: dict[int, Waiter]
    _receiving: int
    _quiet: asyncio.Event
    _intake: OutageLog

    def _now(self) -> datetime:
        return to_utc(self.clock.now())

    async def receive(self, event: InboundEvent, *, wants_answer: bool = False) -> Receipt:
        """Store ``event`` before the platform is acknowledged."""
        if self._closed:
            raise InboxClosed("Concord is shutting down")
        self._receiving += 1
        try:
            return await self._store(event, wants_answer)
        finally:
            self._receiving -= 1
            if not self._receiving:
                self._quiet.set()

    async def intake_quiet(self) -> None:
        """Wait (briefly) while requests are being stored: the acknowledgement a platform
        waits for goes before the next command or delivery on this loop."""
        if not self._receiving:
            return
        self._quiet.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.intake_priority_seconds):
                await self._quiet.wait()

    async def _store(self, event: InboundEvent, wants_answer: bool) -> Receipt:
        event_id = event.event_id or f"local:{uuid.uuid4().hex}"
        try:
            values = {
                "platform": event.platform,
                "event_id": event_id,
                "chat_external_id": event.chat_id,
                "kind": kind_of(event),
                "payload": encode(event),
                "wants_answer": wants_answer,
                "now": self._now(),
            }
            async with asyncio.timeout(self.settings.store_timeout_seconds):
                if self.intake_engine is not None:
                    row_id = await store.store_at_once(self.intake_engine, **values)
                else:
                    async with transaction(self.sessions, urgent=True) as session:
                        row_id = await store.store(session, **values)
        except Exception as error:
            if not (is_unavailable(error) or isinstance(error, TimeoutError)):
                raise
            self._intake.failed(error)
            raise StoreUnavailable(str(error) or type(error).__name__) from error
        self._intake.recovered()
        if row_id is None:
            logger.info("duplicate event %s/%s ignored", event.platform, event_id)
            return Receipt(0, duplicate=True)
        if wants_answer:
            self._waiters[row_id] = Waiter(asyncio.get_running_loop().create_future())
        self._wake.set()
        return Receipt(row_id)

    async def answer(self, receipt: Receipt, *, timeout: float) -> Answer | None:  # noqa: ASYNC109
        """Wait up to ``timeout`` s for a ``wants_answer`` event to run here."""
        waiter = self._waiters.get(receipt.id)
        if waiter is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except TimeoutError:
            waiter.hold = False  # too late: the replies go through the outbox as usual
            return None
        finally:
            self._waiters.pop(receipt.id, None)

    async def answered(self, answer: Answer) -> None:
        """The adapter put ``answer`` in its response: don't deliver its outbox copies."""
        if not answer.outbox_ids:
            return
        async with transaction(self.sessions) as session:
            await outbox.mark_answered(session, ids=answer.outbox_ids, now=self._now())

    def close(self) -> None:
        """Take no new events (graceful stop); what is stored stays stored."""
        self._closed = True

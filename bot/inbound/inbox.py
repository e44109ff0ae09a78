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
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dates.clock import Clock, to_aware_utc, to_utc
from bot.inbound.dispatch import Dispatcher, Outcome
from bot.outage import OutageLog
from bot.settings import InboxSettings
from bot.text.messages import ActionEvent, InboundEvent, IncomingMessage, Outgoing
from storage.db import SessionFactory, is_unavailable, transaction
from storage.delivery import outbox
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


class StoreUnavailable(Exception):
    """The event could not be stored: answer so the platform retries, or tell the user."""


class InboxClosed(StoreUnavailable):
    """Concord is shutting down and takes no new events."""


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int  # the stored event's row (0 for a duplicate)
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """What a command said back to its own chat, for an answer inside the request."""

    replies: tuple[Outgoing, ...]
    outbox_ids: tuple[int, ...] = ()
    failed: bool = False


class PeopleDirectory(Protocol):
    """An adapter's lookup of people's names (and profiles) before their event runs."""

    async def refresh(self, accounts: Sequence[str]) -> Mapping[str, str]: ...


@dataclass
class _Waiter:
    future: asyncio.Future[Answer]
    hold: bool = True


@dataclass
class Inbox:
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
        self._waiters: dict[int, _Waiter] = {}
        self._retry_at: dict[tuple[str, str], datetime] = {}
        self._runner: asyncio.Task[None] | None = None
        self._receiving = 0  # requests being stored right now
        self._quiet = asyncio.Event()
        self._intake = OutageLog(logger, "database (intake)")
        self._work = OutageLog(logger, "database (inbox workers)")
        self._last_prune: datetime | None = None

    # --- intake ---

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
            self._waiters[row_id] = _Waiter(asyncio.get_running_loop().create_future())
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
            waiter.future.set_result(_answer(outcome))
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
        """Names and profiles from the adapter's directory, looked up outside the transaction."""
        directory = self.directories.get(event.platform)
        if directory is None:
            return event
        mentions = dict(event.mentions) if isinstance(event, IncomingMessage) else {}
        try:
            async with asyncio.timeout(self.settings.lookup_timeout_seconds):
                names = await directory.refresh([event.sender_id, *mentions])
        except Exception:
            logger.warning("people lookup failed on %s; using the names sent", event.platform)
            return event
        sender = names.get(event.sender_id) or event.sender_name
        if isinstance(event, IncomingMessage):
            known = {account: names.get(account) or name for account, name in mentions.items()}
            return replace(event, sender_name=sender, mentions=known)
        return replace(event, sender_name=sender)

    async def _maybe_prune(self) -> None:
        now = self._now()
        if self._last_prune is not None and now - self._last_prune < timedelta(hours=1):
            return
        self._last_prune = now
        async with transaction(self.sessions) as session:
            await store.prune(session, now=now, keep=timedelta(days=self.settings.keep_days))

    def _hold_until(self) -> datetime:
        return self._now() + timedelta(seconds=self.settings.answer_hold_seconds)

    def _now(self) -> datetime:
        return to_utc(self.clock.now())


def _answer(outcome: Outcome) -> Answer:
    replies = outcome.answer + outcome.updates
    return Answer(replies, outcome.outbox_ids, failed=outcome.failed is not None)


def _after(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and to_aware_utc(moment) > now


def kind_of(event: InboundEvent) -> str:
    return "action" if isinstance(event, ActionEvent) else "message"


def encode(event: InboundEvent) -> str:
    data: dict[str, Any] = asdict(event)
    data["kind"] = kind_of(event)
    return json.dumps(data, ensure_ascii=False)


def decode(payload: str) -> InboundEvent:
    data = json.loads(payload)
    kind = data.pop("kind")
    if kind == "action":
        return ActionEvent(**data)
    return IncomingMessage(**data)

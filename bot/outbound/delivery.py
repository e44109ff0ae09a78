"""The delivery worker: drains the outbox through the platform adapters, per chat in order.

Each message goes out in its own transaction that holds the chat's lane (``OutboxLane``; a
row lock on PostgreSQL), so one worker at a time drains a chat, on any number of replicas,
and the oldest pending message always goes first. Limits are token buckets: the chat's lives
on its lane (shared by all replicas), the app's in this process (``RateLimit``).

Failures: a ``PlatformError`` with ``retry_after`` (HTTP 429 + Retry-After) waits exactly that
long; other failures (5xx, timeouts, any adapter exception) back off exponentially; a
``permanent`` error, or failing for ``give_up_after`` in a row, marks the message ``failed``
with its ``last_error`` (``concord outbox`` lists it, ``concord outbox retry`` queues it again).

Crash window: the platform accepts a message, then the worker dies before its transaction
commits. The row is still pending, so the next worker sends it again — at most that one
message per chat, since a chat sends one message per transaction. ``Target.idempotency_key``
(``outbox:<id>``) lets adapters use the platform's own de-duplication where it exists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import Clock, to_aware_utc, to_utc
from bot.outbound.platform import Platform, PlatformError
from bot.outbound.ratelimit import AppLimits, TokenBucket
from bot.settings import DeliverySettings
from bot.text.messages import Message, Target
from storage.db import SessionFactory, is_sqlite, transaction
from storage.delivery import cards, outbox
from storage.people import queries as people
from storage.tables import Outbox, OutboxKind, OutboxLane, OutboxStatus

logger = logging.getLogger("concord.delivery")


@dataclass(frozen=True)
class DeliveryPolicy:
    base_backoff: float = 2.0
    max_backoff: float = 300.0
    max_retry_after: float = 3600.0
    give_up_after: timedelta = timedelta(hours=6)
    chats_per_pass: int = 50

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> DeliveryPolicy:
        return cls(
            base_backoff=settings.base_backoff_seconds,
            max_backoff=settings.max_backoff_seconds,
            max_retry_after=settings.max_retry_after_seconds,
            give_up_after=timedelta(minutes=settings.give_up_after_minutes),
            chats_per_pass=settings.chats_per_pass,
        )

    def delay(self, error: PlatformError, attempts: int) -> float:
        """Seconds until the next attempt: the platform's Retry-After, else backoff."""
        if error.retry_after is not None:
            return min(max(float(error.retry_after), 0.0), self.max_retry_after)
        return min(self.base_backoff * 2.0 ** max(attempts - 1, 0), self.max_backoff)


class Deliverer:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        platforms: Mapping[str, Platform],
        clock: Clock,
        settings: DeliverySettings | None = None,
    ) -> None:
        self.sessions = sessions
        self.platforms = platforms
        self.clock = clock
        self.settings = settings or DeliverySettings()
        self.policy = DeliveryPolicy.from_settings(self.settings)
        self.app_limits = AppLimits.from_settings(self.settings)
        # One pass at a time in this process (the console and the loop may both call drain).
        self._pass = asyncio.Lock()
        self._stopping = False
        # Row locks exist (PostgreSQL): a lane may stay locked across the platform call.
        self.lanes_lock_rows = not is_sqlite(sessions.kw["bind"])
        # Awaited before each message: lets acknowledgements of incoming requests go first.
        self.yield_to: Callable[[], Awaitable[None]] | None = None

    def stop(self) -> None:
        """Finish the message being sent, then send no more (graceful stop)."""
        self._stopping = True

    def _now(self) -> datetime:
        return to_utc(self.clock.now())

    async def drain(self, *, max_messages: int = 1000) -> int:
        """Deliver what is due now; returns how many delivery attempts were made."""
        async with self._pass:
            done = 0
            while done < max_messages and not self._stopping:
                attempted = await self._round(max_messages - done)
                if not attempted:
                    break
                done += attempted
            return done

    async def next_due(self) -> datetime | None:
        async with transaction(self.sessions) as session:
            due = await outbox.next_due(session)
        return to_aware_utc(due) if due is not None else None

    async def _round(self, budget: int) -> int:
        """One message per ready chat, oldest chat first (fair across chats)."""
        async with transaction(self.sessions) as session:
            chats = await outbox.pending_chats(
                session,
                now=self._now(),
                platforms=sorted(self.platforms),
                limit=self.policy.chats_per_pass,
            )
        attempted = 0
        for platform, chat_id in chats:
            if attempted >= budget or self._stopping:
                break
            if await self._attempt_next(platform, chat_id):
                attempted += 1
        return attempted

    async def _attempt_next(self, platform: str, chat_id: str) -> bool:
        if self.yield_to is not None:
            await self.yield_to()
        if self.lanes_lock_rows:
            # PostgreSQL: the lane's row lock spans the send, so no other replica sends
            # in this chat meanwhile.
            async with transaction(self.sessions) as session:
                claim = await self._claim(session, platform, chat_id)
                if claim is None:
                    return False
                await self._record(session, claim, await self._send(claim))
            return True
        # SQLite (one process: storage.single_process; one drain at a time: ``_pass``):
        # no transaction, so no database lock, is held while the platform answers —
        # otherwise every acknowledgement of an incoming request would wait behind it.
        async with transaction(self.sessions) as session:
            claim = await self._claim(session, platform, chat_id)
        if claim is None:
            return False
        outcome = await self._send(claim)
        async with transaction(self.sessions) as session:
            claim.row = await _reloaded(session, Outbox, claim.row.id)
            claim.lane = await _reloaded(session, OutboxLane, (platform, chat_id))
            await self._record(session, claim, outcome)
        return True

    async def _claim(self, session: AsyncSession, platform: str, chat_id: str) -> _Claim | None:
        """The chat's next message if it may go now (lane free, due, a token in both
        buckets), with what sending it needs looked up."""
        now = self._now()
        lane = await outbox.lock_lane(session, platform=platform, chat_external_id=chat_id)
        if lane is None or _after(lane.next_send_at, now):
            return None  # another worker drains it, or the chat is being paced
        row = await outbox.next_in_chat(session, platform=platform, chat_external_id=chat_id)
        if row is None or _after(row.next_attempt_at, now):
            return None  # the head of the chat waits; later messages wait behind it
        bucket = self._chat_bucket(lane)
        if not bucket.ready(now) or not self.app_limits.take(platform, now):
            self._store(session, lane, bucket, now)
            return None
        bucket.take(now)
        self._store(session, lane, bucket, now)
        edit_of = None
        if row.kind == OutboxKind.UPDATE and row.card_key:
            edit_of = await cards.card_message_id(
                session,
                card_key=row.card_key,
                platform=row.platform,
                chat_external_id=row.chat_external_id,
            )
        account = None
        if row.kind == OutboxKind.EPHEMERAL and (row.account_id or row.member_id is not None):
            account = row.account_id or await _account(session, row)
        return _Claim(row, lane, edit_of, account)

    async def _send(self, claim: _Claim) -> str | PlatformError | None:
        """The platform call; its failure as a value (the message is never lost)."""
        row = claim.row
        adapter = self.platforms[row.platform]
        message = Message.from_json(row.payload)
        target = Target(
            row.platform,
            row.chat_external_id,
            is_direct=row.is_direct,
            member_id=row.member_id,
            thread_id=row.thread_id,
            idempotency_key=f"outbox:{row.id}",
        )
        try:
            if claim.edit_of is not None:
                await adapter.update(target, claim.edit_of, message)
                return claim.edit_of
            if claim.account is not None:
                await adapter.send_ephemeral(target, claim.account, message)
                return None
            return await adapter.send(target, message)
        except PlatformError as error:
            return error
        except Exception as error:
            # A network error or an adapter bug must not lose the message: retry it.
            logger.exception("adapter %s raised on outbox message %s", row.platform, row.id)
            return PlatformError(f"{type(error).__name__}: {error}")

    async def _record(
        self, session: AsyncSession, claim: _Claim, outcome: str | PlatformError | None
    ) -> None:
        row, lane = claim.row, claim.lane
        if isinstance(outcome, PlatformError):
            self._failed(row, outcome)
        else:
            await self._sent(session, row, outcome)
        session.add(row)
        lane.last_sent_at = self._now()
        session.add(lane)

    def _chat_bucket(self, lane: OutboxLane) -> TokenBucket:
        limit = self.settings.limits(lane.platform)
        updated = to_aware_utc(lane.refilled_at) if lane.refilled_at else None
        return TokenBucket(limit.chat_per_second, limit.chat_burst, lane.tokens, updated)

    @staticmethod
    def _store(session: AsyncSession, lane: OutboxLane, bucket: TokenBucket, now: datetime) -> None:
        """Keep the chat's bucket on its lane, for whichever replica sends next."""
        lane.next_send_at = bucket.next_token_at(now)
        lane.tokens, lane.refilled_at = bucket.tokens, bucket.updated
        session.add(lane)

    async def _sent(self, session: AsyncSession, row: Outbox, message_id: str | None) -> None:
        row.status, row.sent_at, row.attempts = OutboxStatus.SENT, self._now(), row.attempts + 1
        row.platform_message_id = message_id
        row.failing_since = None
        if row.kind == OutboxKind.SEND and row.card_key and message_id:
            await cards.record_card(
                session,
                card_key=row.card_key,
                platform=row.platform,
                chat_external_id=row.chat_external_id,
                message_id=message_id,
                now=self._now(),
            )

    def _failed(self, row: Outbox, error: PlatformError) -> None:
        now = self._now()
        row.attempts += 1
        row.last_error = (str(error) or type(error).__name__)[:500]
        row.failing_since = to_aware_utc(row.failing_since) if row.failing_since else now
        if error.permanent or now - row.failing_since >= self.policy.give_up_after:
            row.status = OutboxStatus.FAILED
            logger.warning("giving up on outbox message %s: %s", row.id, row.last_error)
            return
        delay = self.policy.delay(error, row.attempts)
        row.next_attempt_at = now + timedelta(seconds=delay)
        logger.info("outbox message %s retries in %.1fs: %s", row.id, delay, row.last_error)


@dataclass
class _Claim:
    row: Outbox
    lane: OutboxLane
    edit_of: str | None  # the posted message an update edits (None: post it anew)
    account: str | None  # who alone sees an ephemeral message


async def _reloaded(session: AsyncSession, model: type[Any], key: Any) -> Any:
    row = await session.get(model, key)
    if row is None:
        raise RuntimeError(f"{model.__name__} {key!r} vanished while it was being sent")
    return row


async def _account(session: AsyncSession, row: Outbox) -> str | None:
    assert row.member_id is not None
    accounts = await people.accounts_of(session, {row.member_id})
    return accounts.get(row.member_id, {}).get(row.platform)


def _after(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and to_aware_utc(moment) > now

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, to_aware_utc, to_utc
from bot.messages import Message, Target
from bot.platform import Platform, PlatformError
from bot.ratelimit import AppLimits, TokenBucket
from bot.settings import DeliverySettings
from storage import outbox, people
from storage.db import SessionFactory, transaction
from storage.tables import Outbox, OutboxLane

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
        async with transaction(self.sessions) as session:
            now = self._now()
            lane = await outbox.lock_lane(session, platform=platform, chat_external_id=chat_id)
            if lane is None or _after(lane.next_send_at, now):
                return False  # another worker drains it, or the chat is being paced
            row = await outbox.next_in_chat(session, platform=platform, chat_external_id=chat_id)
            if row is None or _after(row.next_attempt_at, now):
                return False  # the head of the chat waits; later messages wait behind it
            bucket = self._chat_bucket(lane)
            if not bucket.ready(now) or not self.app_limits.take(platform, now):
                self._store(session, lane, bucket, now)
                return False
            bucket.take(now)
            await self._deliver(session, row)
            lane.last_sent_at = self._now()
            self._store(session, lane, bucket, self._now())
            return True

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

    async def _deliver(self, session: AsyncSession, row: Outbox) -> None:
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
            message_id = await self._call(session, adapter, row, target, message)
        except PlatformError as error:
            self._failed(row, error)
        except Exception as error:
            # A network error or an adapter bug must not lose the message: retry it.
            logger.exception("adapter %s raised on outbox message %s", row.platform, row.id)
            self._failed(row, PlatformError(f"{type(error).__name__}: {error}"))
        else:
            await self._sent(session, row, message_id)
        session.add(row)

    async def _sent(self, session: AsyncSession, row: Outbox, message_id: str | None) -> None:
        row.status, row.sent_at, row.attempts = "sent", self._now(), row.attempts + 1
        row.platform_message_id = message_id
        row.failing_since = None
        if row.kind == "send" and row.card_key and message_id:
            await outbox.record_card(
                session,
                card_key=row.card_key,
                platform=row.platform,
                chat_external_id=row.chat_external_id,
                message_id=message_id,
                now=self._now(),
            )

    async def _call(
        self,
        session: AsyncSession,
        adapter: Platform,
        row: Outbox,
        target: Target,
        message: Message,
    ) -> str | None:
        if row.kind == "update" and row.card_key:
            message_id = await outbox.card_message_id(
                session,
                card_key=row.card_key,
                platform=row.platform,
                chat_external_id=row.chat_external_id,
            )
            if message_id is not None:
                await adapter.update(target, message_id, message)
                return message_id
            return await adapter.send(target, message)
        if row.kind == "ephemeral" and (row.account_id or row.member_id is not None):
            account = row.account_id or await _account(session, row)
            if account:
                await adapter.send_ephemeral(target, account, message)
                return None
        return await adapter.send(target, message)

    def _failed(self, row: Outbox, error: PlatformError) -> None:
        now = self._now()
        row.attempts += 1
        row.last_error = (str(error) or type(error).__name__)[:500]
        row.failing_since = to_aware_utc(row.failing_since) if row.failing_since else now
        if error.permanent or now - row.failing_since >= self.policy.give_up_after:
            row.status = "failed"
            logger.warning("giving up on outbox message %s: %s", row.id, row.last_error)
            return
        delay = self.policy.delay(error, row.attempts)
        row.next_attempt_at = now + timedelta(seconds=delay)
        logger.info("outbox message %s retries in %.1fs: %s", row.id, delay, row.last_error)


async def _account(session: AsyncSession, row: Outbox) -> str | None:
    assert row.member_id is not None
    accounts = await people.accounts_of(session, {row.member_id})
    return accounts.get(row.member_id, {}).get(row.platform)


def _after(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and to_aware_utc(moment) > now

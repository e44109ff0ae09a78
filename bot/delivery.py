"""The delivery worker: drains the outbox through the platform adapters, per chat in order.

A message is marked sent in the same transaction that found it, right after the platform
accepted it; a crash between the two can re-send that one message (documented in README).
Failures back off (honouring ``Retry-After``) and give up after ``give_up_after``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, to_utc
from bot.messages import Message, Target
from bot.platform import Platform, PlatformError
from storage import outbox, people
from storage.db import SessionFactory, transaction
from storage.tables import Outbox

logger = logging.getLogger("concord.delivery")


@dataclass
class DeliveryPolicy:
    base_backoff: float = 2.0
    max_backoff: float = 300.0
    give_up_after: timedelta = timedelta(hours=6)


class Deliverer:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        platforms: Mapping[str, Platform],
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        lock_rows: bool = False,
    ) -> None:
        self.sessions = sessions
        self.platforms = platforms
        self.clock = clock
        self.policy = policy or DeliveryPolicy()
        # PostgreSQL: SKIP LOCKED lets several replicas drain different chats at once.
        self.lock_rows = lock_rows

    def _now(self) -> datetime:
        return to_utc(self.clock.now())

    async def drain(self, *, max_messages: int = 1000) -> int:
        """Deliver what is due now; returns how many messages were sent."""
        sent = 0
        while sent < max_messages:
            async with transaction(self.sessions) as session:
                chats = await outbox.pending_chats(session, now=self._now(), limit=50)
            if not chats:
                return sent
            progressed = False
            for platform, chat_id in chats:
                if platform not in self.platforms:
                    continue
                delivered = await self._drain_chat(platform, chat_id)
                sent += delivered
                progressed = progressed or delivered > 0
            if not progressed:
                return sent
        return sent

    async def _drain_chat(self, platform: str, chat_id: str) -> int:
        sent = 0
        while True:
            async with transaction(self.sessions) as session:
                lock = self.lock_rows
                row = await outbox.next_in_chat(
                    session, platform=platform, chat_external_id=chat_id, lock=lock
                )
                if row is None or row.next_attempt_at > self._now():
                    return sent
                ok = await self._deliver(session, row)
                if not ok:
                    return sent
                sent += 1

    async def _deliver(self, session: AsyncSession, row: Outbox) -> bool:
        adapter = self.platforms[row.platform]
        message = Message.from_json(row.payload)
        target = Target(
            row.platform,
            row.chat_external_id,
            is_direct=row.is_direct,
            member_id=row.member_id,
            thread_id=row.thread_id,
        )
        try:
            message_id = await self._call(session, adapter, row, target, message)
        except PlatformError as error:
            self._failed(row, error)
            session.add(row)
            return False
        row.status, row.sent_at, row.attempts = "sent", self._now(), row.attempts + 1
        row.platform_message_id = message_id
        if row.kind == "send" and row.card_key and message_id:
            await outbox.record_card(
                session,
                card_key=row.card_key,
                platform=row.platform,
                chat_external_id=row.chat_external_id,
                message_id=message_id,
                now=self._now(),
            )
        session.add(row)
        return True

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
        if row.kind == "ephemeral" and row.member_id is not None:
            accounts = await people.accounts_of(session, {row.member_id})
            account = accounts.get(row.member_id, {}).get(row.platform)
            if account:
                await adapter.send_ephemeral(target, account, message)
                return None
        return await adapter.send(target, message)

    def _failed(self, row: Outbox, error: PlatformError) -> None:
        now = self._now()
        row.attempts += 1
        row.last_error = str(error)[:500]
        if error.permanent or now - row.created_at > self.policy.give_up_after:
            row.status = "failed"
            logger.warning("giving up on outbox message %s: %s", row.id, error)
            return
        delay = error.retry_after
        if delay is None:
            delay = min(self.policy.base_backoff * 2 ** (row.attempts - 1), self.policy.max_backoff)
        row.next_attempt_at = now + timedelta(seconds=delay)
        logger.info("outbox message %s retries in %.1fs: %s", row.id, delay, error)

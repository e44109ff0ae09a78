"""A ``bot.outbound.platform.Platform`` that records what it delivers and can be scripted to fail.

``fail_next(error, …)`` makes the next calls raise (e.g. ``PlatformError(retry_after=30)``);
``hold_before``/``hold_after`` park a call on an event so a test can kill the worker there.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime

from bot.dates.clock import Clock
from bot.text.messages import Message, Target


@dataclass(frozen=True)
class Delivery:
    kind: str  # send / update / ephemeral
    chat_id: str
    is_direct: bool
    text: str
    at: datetime
    message_id: str
    idempotency_key: str | None
    platform: str = ""


class FakePlatform:
    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        interleave: bool = False,
        journal: list[Delivery] | None = None,
    ) -> None:
        self.name = name
        self.clock = clock
        self.interleave = interleave  # yield to other tasks inside every call
        self.deliveries: list[Delivery] = []
        # Shared by several fakes (one per replica): every delivery in real order.
        self.journal = journal if journal is not None else []
        self.calls = 0
        self._script: list[BaseException] = []
        self._ids = itertools.count(1)
        self.hold_before: int | None = None  # park the call with this number, before accepting
        self.hold_after: int | None = None  # park it after accepting (the crash window)
        self.parked = asyncio.Event()

    def fail_next(self, *errors: BaseException) -> None:
        self._script.extend(errors)

    def recover(self) -> None:
        """Stop failing (the outage is over)."""
        self._script.clear()

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [d.text for d in self.deliveries if chat_id is None or d.chat_id == chat_id]

    async def _call(self, kind: str, target: Target, message: Message, message_id: str) -> None:
        self.calls += 1
        number = self.calls
        if self.interleave:
            await asyncio.sleep(0)
        if number == self.hold_before:
            await self._park()
        if self._script:
            raise self._script.pop(0)
        delivery = Delivery(
            kind,
            target.chat_id,
            target.is_direct,
            message.plain_text(),
            self.clock.now(),
            message_id,
            target.idempotency_key,
            self.name,
        )
        self.deliveries.append(delivery)
        self.journal.append(delivery)
        if number == self.hold_after:
            await self._park()

    async def _park(self) -> None:
        self.parked.set()
        await asyncio.Event().wait()  # until the test cancels the worker

    async def send(self, target: Target, message: Message) -> str:
        message_id = f"{self.name}-{next(self._ids)}"
        await self._call("send", target, message, message_id)
        return message_id

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        await self._call("update", target, message, message_id)

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        await self._call("ephemeral", target, message, f"eph-{account_id}")

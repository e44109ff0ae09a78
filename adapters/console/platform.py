"""Printing neutral messages to a terminal, and remembering the last message with buttons."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from bot.text.messages import Message, Target

PLATFORM = "console"


@dataclass
class ClickTarget:
    message: Message
    chat_id: str
    is_direct: bool


class ConsolePlatform:
    """Implements ``bot.outbound.platform.Platform`` by printing."""

    name = PLATFORM

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.current_chat = "console"
        self.last_buttons: ClickTarget | None = None
        self._ids = itertools.count(1)

    def show(
        self,
        message: Message,
        *,
        chat_id: str | None = None,
        is_direct: bool = False,
        prefix: str = "",
    ) -> str:
        chat = chat_id or self.current_chat
        if is_direct:
            prefix = f"[to @{chat}] " + prefix
        elif chat != self.current_chat:
            prefix = f"[to {chat}] " + prefix
        self.write(prefix + message.plain_text())
        if message.buttons:
            self.last_buttons = ClickTarget(message, chat, is_direct)
        return f"c{next(self._ids)}"

    async def send(self, target: Target, message: Message) -> str:
        return self.show(message, chat_id=target.chat_id, is_direct=target.is_direct)

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        self.show(message, chat_id=target.chat_id, is_direct=target.is_direct, prefix="[updated] ")

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        self.show(message, chat_id=target.chat_id, is_direct=target.is_direct)


class ConsoleAdapter:
    """The console as an adapter: no transport of its own (the session reads stdin)."""

    name = PLATFORM
    people = None

    def __init__(self, platform: ConsolePlatform) -> None:
        self.platform = platform

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

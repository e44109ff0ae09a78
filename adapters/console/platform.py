"""Printing neutral messages to a terminal, and remembering the last message with buttons.

The console can play several platforms at once (``:in slack:sales``): one ``ConsolePlatform``
per platform name, all printing to one ``Screen`` that knows which chat is on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.text.messages import Message, Target

PLATFORM = "console"
# The platforms the console can stand in for (``:in slack:sales``, ``:as feishu:wang``).
PLAYABLE = ("console", "slack", "feishu", "dingtalk")


@dataclass
class ClickTarget:
    message: Message
    chat_id: str
    is_direct: bool
    platform: str = PLATFORM


@dataclass
class Screen:
    """The terminal: the chat in front of the user, and the last message with buttons."""

    write: Callable[[str], None]
    platform: str = PLATFORM
    chat: str = "console"
    last_buttons: ClickTarget | None = None
    # The latest message with buttons in each place (``:click 1 feishu:hq``).
    buttons_in: dict[str, ClickTarget] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def place(self, platform: str, chat: str, *, is_direct: bool) -> str:
        """How a chat is named on screen: ``ops`` / ``slack:sales``; ``@bob`` for a DM."""
        name = f"@{chat}" if is_direct else chat
        return name if platform == PLATFORM else f"{platform}:{name}"


class ConsolePlatform:
    """Implements ``bot.outbound.platform.Platform`` by printing (for ``name``: console, slack …)."""

    def __init__(
        self,
        write: Callable[[str], None] | None = None,
        *,
        name: str = PLATFORM,
        screen: Screen | None = None,
    ) -> None:
        assert write is not None or screen is not None
        self.name = name
        self.screen = screen if screen is not None else Screen(write or print)

    @property
    def write(self) -> Callable[[str], None]:
        return self.screen.write

    @property
    def current_chat(self) -> str:
        return self.screen.chat

    @current_chat.setter
    def current_chat(self, chat: str) -> None:
        self.screen.chat = chat

    @property
    def last_buttons(self) -> ClickTarget | None:
        return self.screen.last_buttons

    def show(
        self,
        message: Message,
        *,
        chat_id: str | None = None,
        is_direct: bool = False,
        prefix: str = "",
    ) -> str:
        screen = self.screen
        chat = chat_id or screen.chat
        here = self.name == screen.platform and chat == screen.chat and not is_direct
        if not here:
            prefix = f"[to {screen.place(self.name, chat, is_direct=is_direct)}] " + prefix
        screen.write(prefix + message.plain_text())
        if message.buttons:
            screen.last_buttons = ClickTarget(message, chat, is_direct, self.name)
            screen.buttons_in[screen.place(self.name, chat, is_direct=is_direct)] = (
                screen.last_buttons
            )
        return f"c{next(screen.ids)}"

    async def send(self, target: Target, message: Message) -> str:
        return self.show(message, chat_id=target.chat_id, is_direct=target.is_direct)

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        self.show(message, chat_id=target.chat_id, is_direct=target.is_direct, prefix="[updated] ")

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        self.show(message, chat_id=target.chat_id, is_direct=target.is_direct)


class ConsoleAdapter:
    """The console as an adapter: no transport of its own (the session reads stdin)."""

    people = None

    def __init__(self, platform: ConsolePlatform) -> None:
        self.platform = platform
        self.name = platform.name

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

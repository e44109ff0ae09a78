"""Printing neutral messages to a terminal, and remembering the last message with buttons.

The console can play several platforms at once (``:in slack:sales``): one ``ConsolePlatform``
per platform name, all printing to one ``Screen`` that knows which chat is on it. Files are
written to a folder (``exports_dir``) and their path is printed.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.text.messages import Attachment, Message, Target

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
        files_dir: Callable[[], str] = lambda: "exports",
        *,
        name: str = PLATFORM,
        screen: Screen | None = None,
    ) -> None:
        assert write is not None or screen is not None
        self.name = name
        self.screen = screen if screen is not None else Screen(write or print)
        self.files_dir = files_dir  # read at each file: the setting may change meanwhile

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

    async def upload_file(self, target: Target, file: Attachment) -> str:
        path = Path(self.files_dir()) / safe_file_name(file.name)
        await asyncio.to_thread(_write, path, file.data)
        return str(path)

    async def send_file(self, target: Target, message: Message, file_ref: str) -> str:
        name = message.attachment.name if message.attachment else Path(file_ref).name
        caption = message.plain_text() + "\n" if message.blocks else ""
        screen = self.screen
        here = self.name == screen.platform and target.chat_id == screen.chat
        place = screen.place(self.name, target.chat_id, is_direct=target.is_direct)
        prefix = "" if here and not target.is_direct else f"[to {place}] "
        screen.write(f"{prefix}{caption}📎 {name} → {file_ref}")
        return f"c{next(screen.ids)}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def safe_file_name(name: str) -> str:
    """The file's own name, without anything that would leave the folder."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(". ") or "file"


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

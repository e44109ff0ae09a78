"""Printing neutral messages to a terminal, and remembering the last message with buttons.

Files are written to a folder (``exports_dir``) and their path is printed."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.text.messages import Attachment, Message, Target

PLATFORM = "console"


@dataclass
class ClickTarget:
    message: Message
    chat_id: str
    is_direct: bool


class ConsolePlatform:
    """Implements ``bot.outbound.platform.Platform`` by printing."""

    name = PLATFORM

    def __init__(
        self, write: Callable[[str], None], files_dir: Callable[[], str] = lambda: "exports"
    ) -> None:
        self.write = write
        self.files_dir = files_dir  # read at each file: the setting may change meanwhile
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

    async def upload_file(self, target: Target, file: Attachment) -> str:
        path = Path(self.files_dir()) / safe_file_name(file.name)
        await asyncio.to_thread(_write, path, file.data)
        return str(path)

    async def send_file(self, target: Target, message: Message, file_ref: str) -> str:
        name = message.attachment.name if message.attachment else Path(file_ref).name
        caption = message.plain_text() + "\n" if message.blocks else ""
        prefix = f"[to @{target.chat_id}] " if target.is_direct else ""
        if not target.is_direct and target.chat_id != self.current_chat:
            prefix = f"[to {target.chat_id}] "
        self.write(f"{prefix}{caption}📎 {name} → {file_ref}")
        return f"c{next(self._ids)}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def safe_file_name(name: str) -> str:
    """The file's own name, without anything that would leave the folder."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(". ") or "file"


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

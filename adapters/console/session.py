"""The console's read–dispatch–print loop and its scripting contract.

A plain line is a message from the current user in the current chat. Lines starting with
``:`` control the console (``:as``, ``:in``, ``:click``, ``:advance``, ``:now``, ``:help``);
``#`` starts a comment. The process ends with status 0 at the end of input.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from adapters.console.platform import PLATFORM, ConsoleAdapter, ConsolePlatform
from bot.dates.clock import ManualClock
from bot.errors import UserError
from bot.inbound.inbox import InboundEvent, Inbox
from bot.settings import Settings
from bot.text.i18n import t
from bot.text.messages import ActionEvent, IncomingMessage


class ConsoleBackend(Protocol):
    """What the console needs of the running bot (``bot.main.App`` provides it)."""

    settings: Settings
    inbox: Inbox

    def attach(self, adapter: ConsoleAdapter) -> None: ...

    async def settle(self) -> None:
        """Run every stored event and deliver what is due."""
        ...

    async def advance(self, clock: ManualClock, span: str) -> None:
        """Move the clock over ``span`` (``3d``, ``2h``, ``+2wd``), running the scheduler's
        ticks and settling on the way; ``UserError`` for a span that is not one."""
        ...


logger = logging.getLogger("concord.console")
_MENTION = re.compile(r"(?<![\w<])@([^\s@,，、:：<>]+)")


class ConsoleSession:
    def __init__(
        self,
        app: ConsoleBackend,
        clock: ManualClock,
        *,
        user: str,
        chat: str,
        write: Callable[[str], None],
    ) -> None:
        self.app = app
        self.clock = clock
        self.user = user
        self.write = write
        self.platform = ConsolePlatform(self._print, lambda: app.settings.exports_dir)
        self.platform.current_chat = chat
        app.attach(ConsoleAdapter(self.platform))

    @property
    def chat(self) -> str:
        return self.platform.current_chat

    @property
    def locale(self) -> str:
        return self.app.settings.platform_locale(PLATFORM)

    def _print(self, text: str) -> None:
        self.write(text + "\n\n")

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        if line.startswith(":"):
            await self._control(line)
            return
        mentions = {name: name for name in _MENTION.findall(line)}
        incoming = IncomingMessage(
            platform=PLATFORM,
            chat_id=self.chat,
            chat_name=self.chat,
            is_direct=False,
            sender_id=self.user,
            sender_name=self.user,
            text=line,
            mentions=mentions,
        )
        await self._submit(incoming)

    async def _submit(self, event: InboundEvent) -> None:
        """Through the inbox like every adapter, then run it and print what it said."""
        await self.app.inbox.receive(event)
        await self.app.settle()

    async def _control(self, line: str) -> None:
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        handler = {
            "as": self._as,
            "in": self._in,
            "click": self._click,
            "advance": self._advance,
            "now": self._now,
            "help": self._help,
        }.get(word.lower())
        if handler is None:
            self._print(t(self.locale, "console.unknown_control", word=word))
            return
        await handler(rest)

    async def _as(self, rest: str) -> None:
        if not rest:
            self._print(t(self.locale, "console.need_argument", control=":as", example=":as alice"))
            return
        self.user = rest.lstrip("@")

    async def _in(self, rest: str) -> None:
        if not rest:
            self._print(t(self.locale, "console.need_argument", control=":in", example=":in ops"))
            return
        self.platform.current_chat = rest.lstrip("#")

    async def _click(self, rest: str) -> None:
        target = self.platform.last_buttons
        if target is None:
            self._print(t(self.locale, "console.no_buttons"))
            return
        buttons = target.message.buttons
        if not rest.isdigit() or not 1 <= int(rest) <= len(buttons):
            self._print(t(self.locale, "console.bad_button", count=len(buttons)))
            return
        button = buttons[int(rest) - 1]
        event = ActionEvent(
            platform=PLATFORM,
            chat_id=target.chat_id,
            chat_name=target.chat_id,
            is_direct=target.is_direct,
            sender_id=self.user,
            sender_name=self.user,
            action=button.action,
            value=button.value,
        )
        await self._submit(event)

    async def _advance(self, rest: str) -> None:
        try:
            await self.app.advance(self.clock, rest)
        except UserError as error:
            self._print(t(self.locale, error.key, **error.params))

    async def _now(self, rest: str) -> None:
        zone = ZoneInfo(self.app.settings.timezone)
        moment = self.clock.now().astimezone(zone)
        self._print(f"{moment:%Y-%m-%d %H:%M} {zone.key} ({moment:%a})")

    async def _help(self, rest: str) -> None:
        self._print(t(self.locale, "console.help"))


def _read(session: ConsoleSession, stream: TextIO, interactive: bool) -> str | None:
    if not interactive:
        return stream.readline() or None
    try:
        return input(f"{session.user}@{session.chat}> ") + "\n"
    except EOFError:
        return None


async def run(session: ConsoleSession, stream: TextIO) -> None:
    interactive = stream.isatty() and sys.stdout.isatty()
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        line = _read(session, stream, interactive)
        if line is None or line.strip() in (":quit", ":exit", ":q"):
            break
        try:
            await session.handle_line(line)
        except Exception:
            # Never let one line end the session; the dispatcher already logged details.
            logger.exception("console line failed: %r", line)
            session.write(t(session.locale, "error.internal", ref="console") + "\n\n")

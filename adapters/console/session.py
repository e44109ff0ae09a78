"""The console's read–dispatch–print loop and its scripting contract.

A plain line is a message from the current user in the current chat. Lines starting with
``:`` control the console (``:as``, ``:in``, ``:click``, ``:advance``, ``:now``, ``:help``);
``#`` starts a comment. The process ends with status 0 at the end of input.

Several platforms at once: ``:in slack:sales`` is the chat ``sales`` on Slack (a plain
``:in ops`` stays the console's own chat), and ``:as feishu:wang`` speaks as the Feishu
account ``wang`` whenever the current chat is on Feishu (a plain ``:as alice`` speaks as
``alice`` everywhere). Messages for such a platform print through a console stand-in for it,
so the core sees exactly what the real adapter would hand it: that platform's events.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from adapters.console.platform import PLATFORM, PLAYABLE, ConsoleAdapter, ConsolePlatform, Screen
from bot.dates.clock import ManualClock
from bot.errors import UserError
from bot.inbound.inbox import InboundEvent, Inbox
from bot.settings import RateLimit, Settings
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
        self.users: dict[str, str] = {}  # platform → account, from ``:as <platform>:<name>``
        self.write = write
        self.screen = Screen(self._print, chat=chat)
        self.platforms: dict[str, ConsolePlatform] = {}
        self.platform = self._playing(PLATFORM)

    def _playing(self, name: str) -> ConsolePlatform:
        """The console's stand-in for platform ``name``, attached on first use."""
        if name not in self.platforms:
            self.platforms[name] = ConsolePlatform(
                name=name, screen=self.screen, files_dir=lambda: self.app.settings.exports_dir
            )
            self.app.attach(ConsoleAdapter(self.platforms[name]))
            # The stand-in prints: the real platform's pacing would only hold its lines back
            # on the console's clock, which moves only by ``:advance``.
            setattr(self.app.settings.delivery, name, RateLimit(0.0, 0, 0.0, 0))
        return self.platforms[name]

    @property
    def chat(self) -> str:
        return self.screen.chat

    @property
    def chat_platform(self) -> str:
        return self.screen.platform

    def speaker(self, platform: str) -> str:
        """Who speaks in a chat of ``platform``."""
        return self.users.get(platform, self.user)

    @property
    def place(self) -> str:
        """The current chat as the prompt shows it (``ops``, ``slack:sales``)."""
        return self.screen.place(self.chat_platform, self.chat, is_direct=False)

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
        speaker = self.speaker(self.chat_platform)
        incoming = IncomingMessage(
            platform=self.chat_platform,
            chat_id=self.chat,
            chat_name=self.chat,
            is_direct=False,
            sender_id=speaker,
            sender_name=speaker,
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
        platform, name = split_place(rest.lstrip("@"))
        name = name.lstrip("@")
        if not name:
            self._print(t(self.locale, "console.need_argument", control=":as", example=":as alice"))
            return
        if platform is None:
            self.user = name
            self.users.clear()
            return
        self._playing(platform)
        self.users[platform] = name

    async def _in(self, rest: str) -> None:
        platform, chat = split_place(rest.lstrip("#"))
        chat = chat.lstrip("#")
        if not chat:
            self._print(t(self.locale, "console.need_argument", control=":in", example=":in ops"))
            return
        self.screen.platform = self._playing(platform or PLATFORM).name
        self.screen.chat = chat

    async def _click(self, rest: str) -> None:
        """``:click 2``: the latest message with buttons anywhere; ``:click 2 feishu:hq``:
        the latest in that place (a chat, or a DM as ``@bob`` / ``feishu:@zhao``)."""
        number, _, where = rest.partition(" ")
        place = where.strip().lstrip("#")
        target = self.screen.buttons_in.get(place) if place else self.screen.last_buttons
        if target is None:
            self._print(t(self.locale, "console.no_buttons"))
            return
        buttons = target.message.buttons
        rest = number
        if not rest.isdigit() or not 1 <= int(rest) <= len(buttons):
            self._print(t(self.locale, "console.bad_button", count=len(buttons)))
            return
        button = buttons[int(rest) - 1]
        speaker = self.speaker(target.platform)
        event = ActionEvent(
            platform=target.platform,
            chat_id=target.chat_id,
            chat_name=target.chat_id,
            is_direct=target.is_direct,
            sender_id=speaker,
            sender_name=speaker,
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
        self._print(
            t(self.locale, "console.help") + "\n" + t(self.locale, "console.help_platforms")
        )


def split_place(text: str) -> tuple[str | None, str]:
    """``slack:sales`` → ("slack", "sales"); a plain ``ops`` (or ``a:b`` where ``a`` is no
    platform the console plays) → (None, text), so chat names keep meaning what they did."""
    head, colon, tail = text.strip().partition(":")
    if colon and head.lower() in PLAYABLE:
        return head.lower(), tail.strip()
    return None, text.strip()


def _read(session: ConsoleSession, stream: TextIO, interactive: bool) -> str | None:
    if not interactive:
        return stream.readline() or None
    try:
        return input(f"{session.speaker(session.chat_platform)}@{session.place}> ") + "\n"
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

"""Runs console scripts in-process through the real console adapter and dispatcher."""

from __future__ import annotations

import textwrap

from adapters.console.session import ConsoleSession
from bot.dates.clock import ManualClock
from bot.main import App


class ConsoleDriver:
    def __init__(
        self, app: App, clock: ManualClock, *, user: str = "me", chat: str = "console"
    ) -> None:
        self.output: list[str] = []
        self.session = ConsoleSession(app, clock, user=user, chat=chat, write=self.output.append)
        self.app = app

    async def run(self, script: str) -> str:
        """Run every line of ``script``; return only what these lines printed."""
        start = len(self.output)
        for line in textwrap.dedent(script).splitlines():
            await self.session.handle_line(line)
        return "".join(self.output[start:])

    async def say(self, line: str) -> str:
        return await self.run(line)

    def set_locale(self, locale: str) -> None:
        self.app.settings.locales["console"] = locale

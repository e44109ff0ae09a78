"""The web board on Concord's real aiohttp server, with a project made through the console."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import make_web_app
from bot.dates.clock import ManualClock
from bot.main import App, mount_web_board
from bot.settings import Settings
from tests.console_driver import ConsoleDriver

SECRET = "test-board-secret-0123456789abcdef"
PROJECT = """
    :as alice
    dept add 研发部 leader:@bob
    dept add 市场部 leader:@mia
    member @carol dept:研发部
    project new "Apollo" depts:研发部,市场部
    task add "Write the <spec>" owner:@carol dept:研发部 due:11-20
    task add "Review API" owner:@bob dept:研发部 due:12-03
    task add "Vendor contract" owner:@mia dept:市场部 due:12-10
    task add "Launch poster" owner:@mia dept:市场部
    task add "Kick-off" owner:@alice
    task T2 start
    task T3 start
    task T3 block "waiting for legal"
    task T5 start
    task T5 done
    issue report "Login fails" urgency:high depts:研发部 category:登录
    :as carol
    request new budget "Ads" amount:800 dept:市场部 from:12-01 to:12-05 purpose:"p" return:"r"
    :as alice
"""
LINK = re.compile(r"(https?://\S+/board/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


@dataclass
class BoardRig:
    app: App
    console: ConsoleDriver
    client: TestClient[Any, Any]
    clock: ManualClock

    async def link(self, command: str = "board") -> str:
        """The path of the link ``board`` hands out."""
        found = LINK.search(await self.console.say(command))
        assert found, "board gave no link"
        return "/" + found.group(1).split("/", 3)[3]

    async def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        response = await self.client.get(path)
        return response.status, await response.text(), dict(response.headers)


def enable_web(settings: Settings, public_url: str = "http://board.test") -> None:
    settings.web.enabled = True
    settings.web.public_url = public_url
    settings.web.secret = SECRET
    settings.web.link_hours = 24


@pytest.fixture
async def board_rig(
    app: App, settings: Settings, console: ConsoleDriver, clock: ManualClock
) -> AsyncIterator[BoardRig]:
    enable_web(settings)
    web_app = make_web_app(app.health)
    assert mount_web_board(app, web_app)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    await console.run(PROJECT)
    yield BoardRig(app, console, client, clock)
    await client.close()

"""Feishu fixtures: the fake OpenAPI, settings pointing the real lark-oapi client at it, and
the rig: Concord's server with the Feishu adapter, as ``concord serve`` builds it."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.feishu.adapter import FeishuAdapter
from adapters.feishu.settings import NAME, FeishuSettings
from adapters.http import make_web_app
from bot.main import App, create_adapters
from bot.settings import RateLimit, Settings
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.payloads import BOT, ENCRYPT_KEY, TOKEN
from tests.feishu.rig import FeishuRig

# lark-oapi caches tenant tokens process-wide by app id: a fresh id per test keeps one
# test's token (and fake) out of the next (platforms.md §5.2).
_app_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeFeishu]:
    server = FakeFeishu(bot_open_id=BOT)
    server.user("ou_alice", "王丽", time_zone="Asia/Shanghai")
    server.user("ou_bob", "李博", time_zone="America/Los_Angeles")
    server.user("ou_carol", "周卡", time_zone="Europe/Berlin")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def feishu_settings(fake: FakeFeishu) -> FeishuSettings:
    return FeishuSettings(
        enabled=True,
        app_id=f"cli_test{next(_app_ids):04d}",
        app_secret="secret",
        verification_token=TOKEN,
        encrypt_key=ENCRYPT_KEY,
        domain=fake.domain,
    )


@contextlib.asynccontextmanager
async def running(
    app: App, settings: Settings, feishu_settings: FeishuSettings, fake: FakeFeishu
) -> AsyncIterator[FeishuRig]:
    """The Feishu adapter from ``[feishu]`` on Concord's server, started as ``serve`` does."""
    settings.adapters[NAME] = feishu_settings
    # Many messages into one chat at one frozen instant; Feishu's pacing is the delivery
    # worker's (tests/test_delivery*).
    settings.delivery.feishu = RateLimit(0.0, 0, 0.0, 0)
    web_app = make_web_app(app.health)
    (adapter,) = create_adapters(app, web_app)
    assert isinstance(adapter, FeishuAdapter)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    built = FeishuRig(app, fake, client, adapter)
    try:
        await adapter.start()
        app.inbox.start()
        yield built
    finally:
        await adapter.stop()
        await app.inbox.stop()
        await client.close()


@pytest.fixture
async def rig(
    app: App, settings: Settings, fake: FakeFeishu, feishu_settings: FeishuSettings
) -> AsyncIterator[FeishuRig]:
    async with running(app, settings, feishu_settings, fake) as built:
        yield built

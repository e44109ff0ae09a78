"""Feishu fixtures: the fake OpenAPI and settings pointing the real lark-oapi client at it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from adapters.feishu.settings import FeishuSettings
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.payloads import BOT, ENCRYPT_KEY, TOKEN

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

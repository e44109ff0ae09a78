"""DingTalk fixtures: the fake OpenAPI/Stream gateway, and a rig that runs Concord's real
aiohttp server with the DingTalk adapter created by the composition root
(``bot.main.create_adapters``), posts correctly signed requests built from the recorded
payloads in tests/fixtures/dingtalk/ (their sources: SOURCES.md there), runs what the inbox
stored and delivers the replies through the real ``DingTalkPlatform`` to the fake."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from adapters.dingtalk import settings as dingtalk_config
from adapters.dingtalk.adapter import CARDS_PATH, EVENTS_PATH, DingTalkAdapter
from adapters.dingtalk.settings import DingTalkSettings
from adapters.http import make_web_app
from bot.main import App, create_adapters
from bot.settings import RateLimit, Settings
from storage.db import transaction
from tests.dingtalk.fake_dingtalk import FakeDingTalk
from tests.dingtalk.helpers import (
    APP_KEY,
    APP_SECRET,
    CARD_SECRET,
    GROUP,
    card_headers,
    fixture,
    group_message,
    robot_headers,
)

TEMPLATE = "concord_approval.schema"
JSON = dict[str, Any]
Mentions = tuple[tuple[str, str | None], ...]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDingTalk]:
    server = FakeDingTalk(app_key=APP_KEY, app_secret=APP_SECRET)
    await server.start()
    yield server
    await server.stop()


def dingtalk_settings(
    fake: FakeDingTalk, *, template: str = "", mode: str = "http"
) -> DingTalkSettings:
    return DingTalkSettings(
        enabled=True,
        client_id=APP_KEY,
        client_secret=APP_SECRET,
        mode=mode,
        api_base_url=fake.base_url,
        oapi_base_url=fake.base_url,
        approval_card_template_id=template,
        card_callback_secret=CARD_SECRET,
    )


def configure(
    settings: Settings, fake: FakeDingTalk, *, template: str = "", mode: str = "http"
) -> DingTalkSettings:
    """Enable ``[dingtalk]`` in ``settings``, pointed at the fake."""
    settings.adapters[dingtalk_config.NAME] = dingtalk_settings(fake, template=template, mode=mode)
    # Many messages into one group at one frozen instant; DingTalk's pacing (20/min per
    # group) is the delivery worker's job and tested there.
    settings.delivery.dingtalk = RateLimit(0.0, 0, 0.0, 0)
    return dingtalk_config.of(settings)


def now_ms() -> int:
    return int(time.time() * 1000)  # DingTalk signs with wall-clock time


class DingTalkRig:
    """Concord's web server with the DingTalk adapter; people talk to it in one group."""

    def __init__(
        self, app: App, fake: FakeDingTalk, client: TestClient[Any, Any], adapter: DingTalkAdapter
    ) -> None:
        self.app = app
        self.fake = fake
        self.client = client
        self.adapter = adapter
        self._ids = itertools.count(1)

    async def post_message(self, body: JSON, *, headers: dict[str, str] | None = None) -> int:
        """POST a robot message (signed now unless ``headers`` say otherwise); no settling."""
        response = await self.client.post(
            EVENTS_PATH,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=robot_headers(now_ms()) if headers is None else headers,
        )
        return response.status

    async def say(
        self, text: str, *, sender: str = "alice01", nick: str = "王小丽", at: Mentions = ()
    ) -> int:
        """``@Concord <text>`` typed in the group; stored, run and delivered."""
        body = group_message(text, msg_id=f"msg{next(self._ids)}", sender=sender, nick=nick, at=at)
        status = await self.post_message(body)
        await self.settle()
        return status

    async def click(
        self,
        track_id: str,
        *,
        user: str,
        action: str,
        value: str,
        headers: dict[str, str] | None = None,
    ) -> int:
        """A click on a card Concord sent (``outTrackId``); stored, run and delivered."""
        response = await self.client.post(
            CARDS_PATH,
            data=json.dumps(card_click(track_id, user=user, action=action, value=value)),
            headers=card_headers(now_ms()) if headers is None else headers,
        )
        await self.settle()
        return response.status

    async def settle(self) -> None:
        await self.app.settle()

    async def rows(self, model: Any) -> list[Any]:
        async with transaction(self.app.sessions) as session:
            return list((await session.exec(select(model))).all())


def card_click(track_id: str, *, user: str, action: str, value: str) -> JSON:
    """The documented card callback for a click on one of our buttons."""
    body = fixture("card_callback_http_request.json")
    params = {"action": action, "value": value}
    body.update(outTrackId=track_id, userId=user)
    body["content"] = json.dumps({"cardPrivateData": {"actionIds": ["1"], "params": params}})
    return body


@asynccontextmanager
async def start_rig(
    app: App, settings: Settings, fake: FakeDingTalk, *, template: str = "", mode: str = "http"
) -> AsyncIterator[DingTalkRig]:
    """Concord's web app with the adapter the registry creates from ``[dingtalk]``, served on
    127.0.0.1 and started (Stream mode: connected to the fake gateway)."""
    configure(settings, fake, template=template, mode=mode)
    web_app = make_web_app(app.health)
    (adapter,) = create_adapters(app, web_app)
    assert isinstance(adapter, DingTalkAdapter)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    await adapter.start()
    try:
        yield DingTalkRig(app, fake, client, adapter)
    finally:
        await adapter.stop()
        await client.close()


@pytest.fixture
async def rig(app: App, settings: Settings, fake: FakeDingTalk) -> AsyncIterator[DingTalkRig]:
    """HTTP mode, no card template: approvals as text commands."""
    async with start_rig(app, settings, fake) as made:
        yield made


@pytest.fixture
async def card_rig(app: App, settings: Settings, fake: FakeDingTalk) -> AsyncIterator[DingTalkRig]:
    """HTTP mode with the approval card template."""
    async with start_rig(app, settings, fake, template=TEMPLATE) as made:
        yield made


__all__ = ["GROUP", "DingTalkRig", "card_click", "configure", "dingtalk_settings"]

"""DingTalk fixtures: the fake OpenAPI/Stream gateway, the adapter's settings pointed at it,
and a rig that feeds signed-or-parsed DingTalk payloads to Concord and delivers the replies
through the real ``DingTalkPlatform`` to the fake."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from adapters.dingtalk.inbound import from_robot_message
from adapters.dingtalk.openapi import OpenApi
from adapters.dingtalk.platform import DingTalkPlatform
from adapters.dingtalk.settings import DingTalkSettings
from bot.clock import to_utc
from bot.main import App
from bot.replies import Origin, queue_replies
from bot.settings import RateLimit, Settings
from storage.db import transaction
from tests.dingtalk.fake_dingtalk import FakeDingTalk
from tests.dingtalk.helpers import APP_KEY, APP_SECRET, CARD_SECRET, GROUP, group_message


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


class DingTalkRig:
    """Concord with the DingTalk platform attached; people talk to it in one group."""

    def __init__(self, app: App, fake: FakeDingTalk, settings: DingTalkSettings) -> None:
        self.app = app
        self.fake = fake
        self.settings = settings
        self.api = OpenApi(base_url=settings.api_base_url, app_key=APP_KEY, app_secret=APP_SECRET)
        self.platform = DingTalkPlatform(self.api, settings)
        app.attach({"dingtalk": self.platform})
        self._ids = itertools.count(1)

    async def say(
        self,
        text: str,
        *,
        sender: str = "alice01",
        nick: str = "王小丽",
        at: tuple[tuple[str, str | None], ...] = (),
    ) -> None:
        body = group_message(text, msg_id=f"msg{next(self._ids)}", sender=sender, nick=nick, at=at)
        event = from_robot_message(body)
        assert event is not None
        replies = await self.app.dispatcher.handle_message(event)
        origin = Origin("dingtalk", event.chat_id, event.sender_id, event.is_direct)
        now = to_utc(self.app.clock.now())
        await queue_replies(self.app.sessions, origin, replies, now=now)
        await self.app.deliver()

    async def rows(self, model: Any) -> list[Any]:
        async with transaction(self.app.sessions) as session:
            return list((await session.exec(select(model))).all())

    async def close(self) -> None:
        await self.api.close()


def unpaced(settings: Settings) -> None:
    # Many messages into one group at one frozen instant; DingTalk's pacing (20/min per
    # group) is the delivery worker's job and tested there.
    settings.delivery.dingtalk = RateLimit(0.0, 0, 0.0, 0)


@pytest.fixture
async def rig(app: App, settings: Settings, fake: FakeDingTalk) -> AsyncIterator[DingTalkRig]:
    unpaced(settings)
    made = DingTalkRig(app, fake, dingtalk_settings(fake))
    yield made
    await made.close()


@pytest.fixture
async def card_rig(app: App, settings: Settings, fake: FakeDingTalk) -> AsyncIterator[DingTalkRig]:
    unpaced(settings)
    made = DingTalkRig(app, fake, dingtalk_settings(fake, template="concord_approval.schema"))
    yield made
    await made.close()


__all__ = ["GROUP", "DingTalkRig", "dingtalk_settings"]


class DirectInbox:
    """Until the durable inbox lands on main: store-and-run in one step, with the real
    dispatcher (its processed-event mark de-duplicates), the outbox and delivery — what
    the Slack adapter does today. Raises when the database is unreachable, like the inbox."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def receive(self, event: Any, *, wants_answer: bool = False) -> Any:
        from types import SimpleNamespace

        from bot.messages import ActionEvent

        if isinstance(event, ActionEvent):
            replies = await self.app.dispatcher.handle_action(event)
        else:
            replies = await self.app.dispatcher.handle_message(event)
        origin = Origin("dingtalk", event.chat_id, event.sender_id, event.is_direct)
        await queue_replies(self.app.sessions, origin, replies, now=to_utc(self.app.clock.now()))
        await self.app.deliver()
        return SimpleNamespace(id=0, duplicate=False)

    async def answer(self, receipt: Any, *, timeout: float) -> Any:  # noqa: ASYNC109 (the port's signature)
        return None  # everything arrives through the outbox

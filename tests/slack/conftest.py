"""Slack fixtures: the fake Web API, and a rig that runs Concord's real aiohttp server with
the Slack adapter installed and posts correctly signed requests built from the recorded
Slack payloads in tests/fixtures/slack/ (their sources: tests/fixtures/README.md)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from adapters.http import make_web_app
from adapters.slack import settings as slack_settings
from adapters.slack.adapter import EVENTS_PATH, SlackAdapter
from adapters.slack.settings import SlackSettings
from bot.main import App, create_adapters
from bot.settings import RateLimit, Settings
from storage.db import transaction
from tests.slack.fake_slack import FakeSlack

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
JSON = dict[str, Any]


def fixture(name: str) -> JSON:
    data: JSON = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def slash_fields() -> dict[str, str]:
    return dict(parse_qsl((FIXTURES / "slash_command.txt").read_text(encoding="utf-8").strip()))


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # slack_sdk honours proxy variables even for 127.0.0.1, so a set proxy would swallow the
    # requests meant for the local fake.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    server.user("U111", "Alice Wang")
    server.user("U222", "Bob Lee", tz="America/Los_Angeles")
    server.user("U333", "Carol Zhou", tz="Europe/Berlin")
    await server.start()
    yield server
    await server.stop()


def configure(settings: Settings, fake: FakeSlack, *, mode: str = "http") -> SlackSettings:
    slack = slack_settings.of(settings)
    slack.enabled = True
    slack.bot_token = "xoxb-test"
    slack.signing_secret = SECRET
    slack.app_token = "xapp-1-test"
    slack.mode = mode
    slack.api_base_url = fake.base_url
    # These tests post many messages into one channel at one frozen instant; Slack's pacing
    # (1/s per channel, short bursts) is tested with the delivery worker (tests/test_delivery*).
    settings.delivery.slack = RateLimit(0.0, 0, 0.0, 0)
    return slack


class SlackRig:
    """Concord's web server with the Slack adapter, and ways to talk to it like Slack does."""

    def __init__(
        self, app: App, fake: FakeSlack, client: TestClient[Any, Any], adapter: SlackAdapter
    ) -> None:
        self.app = app
        self.fake = fake
        self.client = client
        self.adapter = adapter

    @staticmethod
    def signed(raw: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=raw)
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    async def post(
        self,
        raw: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        all_headers = {**self.signed(raw, timestamp=timestamp, secret=secret), **(headers or {})}
        all_headers["Content-Type"] = content_type
        response = await self.client.post(EVENTS_PATH, data=raw, headers=all_headers)
        return response.status, await response.text()

    def command_body(self, text: str, *, user: str = "U111", channel: str = "C111") -> str:
        fields = slash_fields()
        fields.update(command="/concord", text=text, user_id=user, channel_id=channel)
        fields["trigger_id"] = f"{time.monotonic_ns()}.111.xxx"
        return urlencode(fields)

    async def command(self, text: str, *, user: str = "U111", channel: str = "C111") -> int:
        status, _ = await self.post(
            self.command_body(text, user=user, channel=channel),
            "application/x-www-form-urlencoded",
        )
        await self.settle()
        return status

    async def event(self, payload: JSON, *, retry: int | None = None) -> int:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        status, _ = await self.post(
            json.dumps(payload), "application/json", headers=headers if retry else None
        )
        await self.settle()
        return status

    async def interact(self, payload: JSON) -> tuple[int, str]:
        raw = "payload=" + quote(json.dumps(payload))
        result = await self.post(raw, "application/x-www-form-urlencoded")
        await self.settle()
        return result

    async def click(self, *, user: str, message_ts: str, action: str, value: str) -> int:
        payload = copy.deepcopy(fixture("block_actions_message.json"))
        payload["user"] = {"id": user}
        payload["container"]["message_ts"] = message_ts
        payload["actions"][0].update(action_id=action, value=value)
        payload["actions"][0]["action_ts"] = f"{time.time():.6f}"
        status, _ = await self.interact(payload)
        return status

    async def settle(self) -> None:
        """Forms opened, stored events run, what is due delivered."""
        await self.adapter.handlers.idle()
        await self.app.settle()

    async def rows(self, model: Any) -> list[Any]:
        async with transaction(self.app.sessions) as session:
            return list((await session.exec(select(model))).all())


@pytest.fixture
async def rig(app: App, settings: Settings, fake: FakeSlack) -> AsyncIterator[SlackRig]:
    configure(settings, fake)
    web_app = make_web_app(app.health)
    (adapter,) = create_adapters(app, web_app)
    assert isinstance(adapter, SlackAdapter)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    yield SlackRig(app, fake, client, adapter)
    await client.close()

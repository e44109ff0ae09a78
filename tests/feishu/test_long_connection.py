"""The long connection: the SDK's real ``lark.ws.Client`` in its own thread against the fake's
WebSocket, protobuf frames in and out; events reach the bot's loop and its inbox (the same
intake as the webhook: stored before the frame is answered, duplicates refused, a click
answered with the new card); stop is clean."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.feishu.longconn import LongConnection, event_handler
from adapters.feishu.settings import FeishuSettings
from bot.main import App
from bot.settings import Settings
from storage.tables import ApprovalStep, InboundEvent
from tests.feishu.conftest import running
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.payloads import card_action, fixture, message
from tests.feishu.rig import GROUP, FeishuRig, group_message
from tests.feishu.test_webhook import REQUEST, SETUP


class Recorder:
    """A stand-in for the adapter's event intake: records where and what it ran."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.threads: list[str] = []

    async def handle(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        self.threads.append(threading.current_thread().name)
        if payload["header"]["event_type"] == "card.action.trigger":
            return {"toast": {"type": "info", "content": "好"}}
        return {}


async def test_the_sdks_handler_hands_events_to_the_bots_loop() -> None:
    recorder = Recorder()
    handler = event_handler(recorder.handle, asyncio.get_running_loop())
    raw = json.dumps(fixture("im_message_receive_v1_group_mention.json")).encode()
    # The SDK calls this from its own thread; the answer comes from the bot's loop.
    result = await asyncio.to_thread(handler._do_without_validation, raw)
    assert result is None
    [payload] = recorder.payloads
    assert payload["event"]["message"]["message_id"] == "om_5ce6d572455d361153b7cb51da133945"
    assert payload["event"]["message"]["mentions"][0]["name"] == "Tom"
    assert recorder.threads == [threading.current_thread().name]
    click = card_action(operator="ou_bob", action="a.b", value="1", message_id="om_1")
    answer = await asyncio.to_thread(handler._do_without_validation, json.dumps(click).encode())
    assert answer.toast.content == "好"


async def test_frames_over_the_sdks_websocket_reach_the_bot_and_stop_is_clean(
    fake: FakeFeishu, feishu_settings: FeishuSettings
) -> None:
    recorder = Recorder()
    connection = LongConnection(feishu_settings, recorder.handle)
    await connection.start()
    await asyncio.wait_for(fake.wait_connected(), 10)
    [endpoint] = fake.named("ws.endpoint")
    assert endpoint.body == {"AppID": feishu_settings.app_id, "AppSecret": "secret"}

    back = await asyncio.wait_for(fake.push(message("@_user_1 帮助")), 10)
    assert back["code"] == 200
    click = card_action(operator="ou_bob", action="a.b", value="1", message_id="om_1")
    answer = await asyncio.wait_for(fake.push(click), 10)
    assert answer["data"] == {"toast": {"type": "info", "content": "好"}}
    assert [p["header"]["event_type"] for p in recorder.payloads] == [
        "im.message.receive_v1",
        "card.action.trigger",
    ]
    assert set(recorder.threads) == {threading.current_thread().name}

    await asyncio.wait_for(connection.stop(), 10)
    assert not any(t.name == "feishu-long-connection" for t in threading.enumerate())
    await asyncio.sleep(0)  # let the fake notice the closed socket
    assert len(fake.named("ws.endpoint")) == 1  # no reconnect after stop


async def test_a_failing_intake_makes_the_sdk_answer_500(
    fake: FakeFeishu, feishu_settings: FeishuSettings
) -> None:
    async def broken(payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("store down")

    connection = LongConnection(feishu_settings, broken)
    await connection.start()
    await asyncio.wait_for(fake.wait_connected(), 10)
    back = await asyncio.wait_for(fake.push(message("帮助")), 10)
    assert back["code"] == 500  # Feishu delivers it again later
    await asyncio.wait_for(connection.stop(), 10)


@pytest.fixture
async def connected(
    app: App, settings: Settings, fake: FakeFeishu, feishu_settings: FeishuSettings
) -> AsyncIterator[FeishuRig]:
    """The adapter from ``[feishu] mode = "long_connection"``, started as ``serve`` does."""
    feishu_settings.mode = "long_connection"
    feishu_settings.verification_token = ""  # not needed without a public URL
    async with running(app, settings, feishu_settings, fake) as rig:
        await asyncio.wait_for(fake.wait_connected(), 10)
        yield rig


async def test_the_long_connection_runs_commands_through_the_inbox(
    connected: FeishuRig, fake: FakeFeishu
) -> None:
    rig = connected
    assert not any(r.resource.canonical == "/feishu/events" for r in rig.client.app.router.routes())
    for line in SETUP:
        back = await asyncio.wait_for(fake.push(group_message(line, sender="ou_alice")), 10)
        assert back["code"] == 200  # stored before the frame was answered
    await rig.settle()
    await asyncio.wait_for(fake.push(group_message(REQUEST, sender="ou_alice")), 10)
    await rig.settle()
    step = min(await rig.rows(ApprovalStep), key=lambda s: s.id)
    [card] = [
        p
        for p in fake.posts()
        if p.body["receive_id"] == GROUP and f'"value": "{step.id}"' in p.body["content"]
    ]

    click = card_action(
        operator="ou_bob",
        action="approval.approve",
        value=str(step.id),
        message_id=card.response["data"]["message_id"],
    )
    back = await asyncio.wait_for(fake.push(click), 10)

    assert back["code"] == 200
    assert back["data"]["card"]["data"]["header"]["template"] == "green"
    await rig.settle()
    assert card.response["data"]["message_id"] in {
        c.path.rsplit("/", 1)[1] for c in fake.named("messages.patch")
    }
    assert next(s for s in await rig.rows(ApprovalStep) if s.id == step.id).status == "approved"


async def test_a_redelivered_frame_runs_once_and_stop_ends_the_thread(
    connected: FeishuRig, fake: FakeFeishu
) -> None:
    rig = connected
    frame = group_message("帮助", sender="ou_alice")
    again = json.loads(json.dumps(frame))
    again["header"]["event_id"] = "ev-again"
    for payload in (frame, again):
        assert (await asyncio.wait_for(fake.push(payload), 10))["code"] == 200
    await rig.settle()
    assert len(fake.posts()) == 1
    assert len(await rig.rows(InboundEvent)) == 1

    await asyncio.wait_for(rig.adapter.stop(), 10)
    assert not any(t.name == "feishu-long-connection" for t in threading.enumerate())
    assert len(fake.named("ws.endpoint")) == 1

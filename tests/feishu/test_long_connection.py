"""The long connection: the SDK's real ``lark.ws.Client`` in its own thread against the fake's
WebSocket, protobuf frames in and out; events reach the bot's loop; stop is clean."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from adapters.feishu.longconn import LongConnection, event_handler
from adapters.feishu.settings import FeishuSettings
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.payloads import card_action, fixture, message


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

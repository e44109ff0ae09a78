"""The Stream client against a local WebSocket fake of the gateway, with the documented
frames: open, a robot message, a card click, ping, disconnect → reconnect with a new ticket,
and a backoff when the gateway refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from adapters.dingtalk.inbound import out_track_id
from adapters.dingtalk.openapi import OpenApi
from adapters.dingtalk.stream import Backoff, HandlerRefused, StreamClient
from tests.dingtalk.fake_dingtalk import FakeDingTalk
from tests.dingtalk.helpers import APP_KEY, APP_SECRET, GROUP, fixture

CARD_TOPIC = "/v1.0/card/instances/callback"


def card_frame(track: str) -> dict[str, Any]:
    frame = fixture("stream_frame_callback_bot_message.json")
    body = fixture("card_callback_http_request.json")
    params = {"action": "approval.approve", "value": "3"}
    body.update(outTrackId=track, userId="zhangwei")
    body["content"] = json.dumps({"cardPrivateData": {"actionIds": ["1"], "params": params}})
    frame["headers"].update(topic=CARD_TOPIC, messageId="card-frame-1")
    frame["data"] = json.dumps(body)
    return frame


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Mapping[str, Any]] = []
        self.cards: list[Mapping[str, Any]] = []
        self.delays: list[float] = []
        self.refuse = False

    async def on_message(self, body: Mapping[str, Any]) -> None:
        if self.refuse:
            raise HandlerRefused("database down")
        self.messages.append(body)

    async def on_card(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        self.cards.append(body)
        return {"cardData": {"cardParamMap": {"status": "closed"}}}

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def client_for(fake: FakeDingTalk, recorder: Recorder) -> StreamClient:
    api = OpenApi(base_url=fake.base_url, app_key=APP_KEY, app_secret=APP_SECRET)
    return StreamClient(
        api, on_message=recorder.on_message, on_card=recorder.on_card, sleep=recorder.sleep
    )


async def test_frames_are_handled_acked_and_disconnect_reconnects(fake: FakeDingTalk) -> None:
    track = out_track_id("outbox-3", GROUP, direct=False)
    fake.connection_frames = [
        [
            fixture("stream_frame_callback_bot_message.json"),
            card_frame(track),
            fixture("stream_frame_system_ping.json"),
            fixture("stream_frame_event.json"),
            fixture("stream_frame_system_disconnect.json"),
        ],
        [],
    ]
    recorder = Recorder()
    client = client_for(fake, recorder)
    client.start()
    try:
        async with asyncio.timeout(10):
            await fake.wait_for_connections(2)
            await fake.wait_for_acks(4)
    finally:
        await client.stop()

    [opened, *_] = fake.named("/v1.0/gateway/connections/open")
    assert opened.body["clientId"] == APP_KEY
    topics = {(s["type"], s["topic"]) for s in opened.body["subscriptions"]}
    assert ("CALLBACK", "/v1.0/im/bot/messages/get") in topics
    assert ("CALLBACK", CARD_TOPIC) in topics
    assert len(fake.named("/v1.0/gateway/connections/open")) == 2  # a fresh ticket each time
    assert recorder.delays == []  # a planned disconnect reconnects at once

    assert [m["msgId"] for m in recorder.messages] == ["msgLICYe****HgY4JtMQw=="]
    assert [c["outTrackId"] for c in recorder.cards] == [track]
    acks = {a["headers"]["messageId"]: a for a in fake.acks}
    bot = acks["212ca9d7_974_1898c159aa6_1783b"]
    assert (bot["code"], json.loads(bot["data"])) == (200, {"response": None})
    card = acks["card-frame-1"]
    assert json.loads(card["data"]) == {
        "response": {"cardData": {"cardParamMap": {"status": "closed"}}}
    }
    ping_and_event = [
        a for a in fake.acks if a["headers"]["messageId"] == "213d841d_972_1898bb26334_70a7"
    ]
    documented = [fixture("stream_ack_system_ping.json"), fixture("stream_ack_event.json")]
    assert sorted(_canonical(a["data"]) for a in ping_and_event) == sorted(
        _canonical(a["data"]) for a in documented
    )


def _canonical(data: str) -> str:
    return json.dumps(json.loads(data), sort_keys=True)


async def test_a_frame_that_cannot_be_stored_is_acked_with_an_error(fake: FakeDingTalk) -> None:
    fake.connection_frames = [[fixture("stream_frame_callback_bot_message.json")]]
    recorder = Recorder()
    recorder.refuse = True
    client = client_for(fake, recorder)
    client.start()
    try:
        async with asyncio.timeout(10):
            await fake.wait_for_acks(1)
    finally:
        await client.stop()
    [ack] = fake.acks
    assert ack["code"] == 500


async def test_a_refused_open_backs_off_then_connects(
    fake: FakeDingTalk,
) -> None:
    for _ in range(3):
        fake.fail("/v1.0/gateway/connections/open", status=500, code="ServiceUnavailable")
    recorder = Recorder()
    client = client_for(fake, recorder)
    client.start()
    try:
        async with asyncio.timeout(10):
            await fake.wait_for_connections(1)
    finally:
        await client.stop()
    assert recorder.delays == [1.0, 2.0, 4.0]
    assert fake.connections == 1


def test_the_backoff_doubles_up_to_a_minute_and_resets() -> None:
    backoff = Backoff()
    assert [backoff.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.reset()
    assert backoff.next_delay() == 1

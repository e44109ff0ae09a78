"""A small aiohttp client of DingTalk's Stream protocol (``mode = "stream"``).

Why not the official ``dingtalk-stream`` package (0.24.3, read for this choice):

* its endpoint is the ``DINGTALK_OPENAPI_ENDPOINT`` environment variable, read once when
  ``dingtalk_stream.utils`` is imported and copied into module globals and a class attribute,
  so ``[dingtalk] api_base_url`` (and a local fake in tests) cannot be honoured per client;
* ``DingTalkStreamClient.start()`` opens the connection with blocking ``requests.post``
  inside the event loop (the token, replies and card calls too), stalling every other chat;
* it catches ``CancelledError`` and sleeps 10 s, so a shutdown cannot cancel it, and it
  retries on fixed 10 s / 3 s sleeps with no backoff;
* the protocol itself is small (developerpedia ``docs/learn/stream/protocol.md``).

The protocol, as implemented here:

1. ``POST {api_base_url}/v1.0/gateway/connections/open`` with the app's credentials and the
   topics wanted → ``{"endpoint", "ticket"}`` (the ticket is single-use, valid 90 s);
2. WebSocket to ``endpoint?ticket=…``;
3. every frame is acknowledged with ``{"code", "headers": {"messageId", "contentType"},
   "message", "data"}``: robot messages with ``{"response": null}``, card clicks with
   ``{"response": <card data for the clicker>}``, events with ``{"status": "SUCCESS"}``,
   ``ping`` by echoing its ``opaque``; a frame the handler could not store is answered with
   code 500 (events: ``LATER``, so DingTalk pushes them again);
4. ``disconnect`` (the gateway closes 10 s later): reconnect at once with a new ticket;
   a broken connection or a failed open: reconnect after a backoff of 1, 2, 4 … 60 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from adapters.dingtalk.openapi import OpenApi
from bot.outbound.platform import PlatformError

logger = logging.getLogger("concord.dingtalk.stream")
JSON = dict[str, Any]

OPEN_PATH = "/v1.0/gateway/connections/open"
BOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"
USER_AGENT = "concord-dingtalk-stream/1.0"
DRAIN_SECONDS = 5.0

MessageHandler = Callable[[Mapping[str, Any]], Awaitable[None]]
CardHandler = Callable[[Mapping[str, Any]], Awaitable[Mapping[str, Any] | None]]
Sleep = Callable[[float], Awaitable[None]]


class HandlerRefused(Exception):
    """The handler could not take the frame (e.g. the database is down): ack with 500."""


@dataclass
class Backoff:
    first: float = 1.0
    longest: float = 60.0
    failures: int = 0

    def next_delay(self) -> float:
        delay = min(self.first * float(2**self.failures), self.longest)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


class StreamClient:
    def __init__(
        self,
        api: OpenApi,
        *,
        on_message: MessageHandler,
        on_card: CardHandler,
        sleep: Sleep = asyncio.sleep,
        backoff: Backoff | None = None,
    ) -> None:
        self.api = api
        self.on_message = on_message
        self.on_card = on_card
        self.sleep = sleep
        self.backoff = backoff or Backoff()
        self.connections = 0  # WebSockets opened so far (health, tests)
        self._task: asyncio.Task[None] | None = None
        self._work: set[asyncio.Task[None]] = set()
        self._socket: aiohttp.ClientWebSocketResponse | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="dingtalk-stream")

    async def stop(self) -> None:
        """Stop reading frames, close the socket, and let the frames in hand finish."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._work:
            await asyncio.gather(*list(self._work), return_exceptions=True)

    async def run(self) -> None:
        """Connect, read, reconnect — until cancelled."""
        while True:
            try:
                planned = await self._session()
            except (aiohttp.ClientError, PlatformError, TimeoutError, ValueError) as error:
                logger.warning("DingTalk Stream connection failed: %s", error)
                planned = False
            if not planned:
                await self.sleep(self.backoff.next_delay())

    async def _session(self) -> bool:
        """One connection; True when the gateway asked us to reconnect (``disconnect``)."""
        ticket = await self.open_connection()
        url = f"{ticket['endpoint']}?ticket={quote_plus(str(ticket['ticket']))}"
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, heartbeat=30.0) as socket,
        ):
            self._socket = socket
            self.connections += 1
            self.backoff.reset()
            logger.warning("DingTalk Stream connected")
            try:
                async for message in socket:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        continue
                    if self._dispatch(socket, message.data):
                        await self._finish_in_flight()
                        return True
            finally:
                self._socket = None
        return False

    async def _finish_in_flight(self) -> None:
        """After ``disconnect`` the gateway keeps the socket 10 s: ack what is in hand."""
        if self._work:
            await asyncio.wait(list(self._work), timeout=DRAIN_SECONDS)

    async def open_connection(self) -> JSON:
        body = {
            "clientId": self.api.app_key,
            "clientSecret": self.api.app_secret,
            "subscriptions": [
                {"type": "EVENT", "topic": "*"},
                {"type": "CALLBACK", "topic": BOT_MESSAGE_TOPIC},
                {"type": "CALLBACK", "topic": CARD_CALLBACK_TOPIC},
            ],
            "ua": USER_AGENT,
            "localIp": "",
        }
        answer = await self.api.post_json(self.api.base_url + OPEN_PATH, body)
        if not answer.get("endpoint") or not answer.get("ticket"):
            raise PlatformError("DingTalk Stream: no endpoint/ticket in the answer")
        return answer

    def _dispatch(self, socket: aiohttp.ClientWebSocketResponse, raw: str) -> bool:
        """Handle one frame in the background; True for ``disconnect``."""
        try:
            frame = json.loads(raw)
        except ValueError:
            logger.warning("DingTalk Stream: a frame that is not JSON: %.200s", raw)
            return False
        if not isinstance(frame, dict):
            return False
        headers = frame.get("headers") or frame.get("header") or {}
        if frame.get("type") == "SYSTEM" and headers.get("topic") == "disconnect":
            logger.warning("DingTalk Stream: disconnect (%s)", frame.get("data"))
            return True
        task = asyncio.create_task(self._answer(socket, frame, headers))
        self._work.add(task)
        task.add_done_callback(self._work.discard)
        return False

    async def _answer(
        self, socket: aiohttp.ClientWebSocketResponse, frame: JSON, headers: Mapping[str, Any]
    ) -> None:
        code, data = 200, await self._handle(frame, headers)
        if data is None:
            code, data = 500, self._refusal(frame)
        ack = {
            "code": code,
            "headers": {"messageId": headers.get("messageId"), "contentType": "application/json"},
            "message": "OK" if code == 200 else "stored later",
            "data": json.dumps(data, ensure_ascii=False),
        }
        if not socket.closed:
            await socket.send_str(json.dumps(ack, ensure_ascii=False))

    async def _handle(self, frame: JSON, headers: Mapping[str, Any]) -> JSON | None:
        """The ack's ``data`` for a frame, or None when the handler refused it."""
        kind, topic = frame.get("type"), headers.get("topic")
        if kind == "SYSTEM":
            return _payload(frame)  # ping: echo the opaque
        if kind == "EVENT":
            return {"status": "SUCCESS", "message": "success"}  # no events are used yet
        body = _payload(frame)
        try:
            if topic == BOT_MESSAGE_TOPIC:
                await self.on_message(body)
                return {"response": None}
            if topic == CARD_CALLBACK_TOPIC:
                response = await self.on_card(body)
                return {"response": dict(response) if response else {}}
        except HandlerRefused as error:
            logger.warning("DingTalk Stream: could not take a %s frame: %s", topic, error)
            return None
        return {"response": None}

    @staticmethod
    def _refusal(frame: JSON) -> JSON:
        if frame.get("type") == "EVENT":
            return {"status": "LATER", "message": "try again"}
        return {"response": None}


def _payload(frame: Mapping[str, Any]) -> JSON:
    raw = frame.get("data")
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

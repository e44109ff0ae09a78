"""The DingTalk adapter: HTTP routes, the Stream client, and the platform that delivers.

Intake, the same for both transports: a robot message or a card click is checked (HTTP:
its signature, before anything that can raise), parsed into a neutral event and stored in
``Host.inbox`` *before* DingTalk gets its answer — a store that fails answers non-2xx (HTTP
503, Stream code 500) so nothing is acknowledged that was not kept. A card click is
answered at once with an empty body (DingTalk waits 2 s at most); the card's new state
reaches everyone through the outbox's ``PUT /v1.0/card/instances``, and a refusal reaches
the clicker as a single-chat message.

* ``POST /dingtalk/events`` — robot messages (HTTP mode), ``timestamp``/``sign`` checked;
* ``POST /dingtalk/cards`` — card clicks created with ``callbackType: HTTP``,
  ``x-ddpaas-signature`` checked with ``card_callback_secret``;
* Stream mode: ``StreamClient`` started by ``start()`` (see ``adapters.dingtalk.stream``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters.base import Host
from adapters.dingtalk import inbound, signing
from adapters.dingtalk.openapi import OpenApi
from adapters.dingtalk.outbound import PLATFORM
from adapters.dingtalk.people import Nicks
from adapters.dingtalk.platform import DingTalkPlatform, SessionWebhooks
from adapters.dingtalk.settings import DingTalkSettings
from adapters.dingtalk.stream import HandlerRefused, StreamClient
from bot.inbound.inbox import InboundEvent, StoreUnavailable

logger = logging.getLogger("concord.dingtalk")
EVENTS_PATH = "/dingtalk/events"
CARDS_PATH = "/dingtalk/cards"
MAX_BODY = 256 * 1024
JSON = dict[str, Any]


class DingTalkAdapter:
    name = PLATFORM

    def __init__(
        self, host: Host, settings: DingTalkSettings, *, api: OpenApi | None = None
    ) -> None:
        self.settings = settings
        self.inbox = host.inbox
        self.api = api or OpenApi(
            base_url=settings.api_base_url,
            app_key=settings.client_id,
            app_secret=settings.client_secret,
        )
        self.webhooks = SessionWebhooks(settings.oapi_base_url)
        self.platform = DingTalkPlatform(self.api, settings, self.webhooks)
        self.people = Nicks(host.profiles, host.clock)
        self.stream: StreamClient | None = None
        host.web.router.add_post(EVENTS_PATH, self.handle_events)
        host.web.router.add_post(CARDS_PATH, self.handle_cards)

    async def start(self) -> None:
        if self.settings.mode == "stream" and self.stream is None:
            self.stream = StreamClient(
                self.api, on_message=self._stream_message, on_card=self.take_card
            )
            self.stream.start()

    async def stop(self) -> None:
        if self.stream is not None:
            await self.stream.stop()
            self.stream = None

    # --- HTTP ---

    async def handle_events(self, request: web.Request) -> web.Response:
        if not signing.robot_request_ok(
            request.headers, self.settings.client_secret, now_ms=_now_ms()
        ):
            return web.json_response({"error": "bad signature"}, status=401)
        body = await _json_body(request)
        if body is None:
            return web.json_response({"error": "not a JSON object"}, status=400)
        try:
            stored = await self.take_message(body)
        except HandlerRefused:
            return web.json_response({"error": "try again"}, status=503)
        if not stored:
            return web.json_response({"error": "not a robot message"}, status=400)
        return web.json_response({})

    async def handle_cards(self, request: web.Request) -> web.Response:
        secret = self.settings.card_callback_secret
        if not secret or not signing.card_request_ok(request.headers, secret, now_ms=_now_ms()):
            return web.json_response({"error": "bad signature"}, status=401)
        body = await _json_body(request)
        if body is None:
            return web.json_response({"error": "not a JSON object"}, status=400)
        try:
            await self.take_card(body)
        except HandlerRefused:
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response({})

    # --- both transports ---

    async def take_message(self, body: Mapping[str, Any]) -> bool:
        """Store a robot message; False when it is not one. ``HandlerRefused``: not stored."""
        event = inbound.from_robot_message(body)
        if event is None:
            return False
        self.webhooks.remember(body)
        self.people.heard(event.sender_id, event.sender_name)
        await self._store(event)
        return True

    async def take_card(self, body: Mapping[str, Any]) -> JSON | None:
        """Store a click. Nothing to say in the answer: the outbox updates the card."""
        event = inbound.from_card_callback(body)
        if event is not None:
            await self._store(event)
        return None

    async def _stream_message(self, body: Mapping[str, Any]) -> None:
        await self.take_message(body)  # anything else on the bot topic is acked and dropped

    async def _store(self, event: InboundEvent) -> None:
        try:
            await self.inbox.receive(event)
        except StoreUnavailable as error:
            raise HandlerRefused(str(error)) from error


def _now_ms() -> int:
    # DingTalk signs with wall-clock time, whatever Concord's clock says.
    return int(time.time() * 1000)


def create(host: Host, settings: DingTalkSettings) -> DingTalkAdapter:
    return DingTalkAdapter(host, settings)


async def _json_body(request: web.Request) -> JSON | None:
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None

"""The DingTalk adapter: HTTP routes, the Stream client, and the platform that delivers.

Intake, the same for both transports: a robot message or a card click is checked (HTTP:
its signature, before anything that can raise), parsed into a neutral event and stored in
the inbox *before* DingTalk gets its answer — a store that fails answers non-2xx (HTTP 503,
Stream code 500) so nothing is acknowledged that was not kept. Card clicks want an answer
within 2 s: the inbox is given 1.5 s to run the click, and the card's new state goes back in
the response (DingTalk shows it to the clicker); everyone else's view is updated by the
outbox's ``PUT /v1.0/card/instances``, which is why the answer is not marked as delivered.

* ``POST /dingtalk/events`` — robot messages (HTTP mode), ``timestamp``/``sign`` checked;
* ``POST /dingtalk/cards`` — card clicks created with ``callbackType: HTTP``,
  ``x-ddpaas-signature`` checked with ``card_callback_secret``;
* Stream mode: ``StreamClient`` started by ``start()`` (see ``adapters.dingtalk.stream``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aiohttp import web

from adapters.dingtalk import inbound, signing
from adapters.dingtalk.openapi import OpenApi
from adapters.dingtalk.outbound import PLATFORM, card_params
from adapters.dingtalk.platform import DingTalkPlatform, SessionWebhooks
from adapters.dingtalk.settings import DingTalkSettings
from adapters.dingtalk.stream import HandlerRefused, StreamClient
from bot.clock import Clock
from bot.messages import ActionEvent, IncomingMessage, Outgoing

logger = logging.getLogger("concord.dingtalk")
EVENTS_PATH = "/dingtalk/events"
CARDS_PATH = "/dingtalk/cards"
ANSWER_SECONDS = 1.5  # DingTalk waits 2 s for a card callback's answer
MAX_BODY = 256 * 1024
JSON = dict[str, Any]


class InboxPort(Protocol):
    """The durable inbound port (``bot.inbox.Inbox``) as this adapter uses it."""

    async def receive(
        self, event: IncomingMessage | ActionEvent, *, wants_answer: bool = False
    ) -> Any: ...

    # The port's own signature (bot.inbox.Inbox.answer): the wait is bounded by the inbox.
    async def answer(self, receipt: Any, *, timeout: float) -> Any: ...  # noqa: ASYNC109


class DingTalkAdapter:
    name = PLATFORM

    def __init__(
        self,
        settings: DingTalkSettings,
        inbox: InboxPort,
        clock: Clock,
        *,
        api: OpenApi | None = None,
    ) -> None:
        self.settings = settings
        self.inbox = inbox
        self.clock = clock
        self.api = api or OpenApi(
            base_url=settings.api_base_url,
            app_key=settings.client_id,
            app_secret=settings.client_secret,
        )
        self.webhooks = SessionWebhooks(settings.oapi_base_url)
        self.platform = DingTalkPlatform(self.api, settings, self.webhooks)
        self.people = None
        self.stream: StreamClient | None = None

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(EVENTS_PATH, self.handle_events)
        web_app.router.add_post(CARDS_PATH, self.handle_cards)

    async def start(self) -> None:
        if self.settings.mode == "stream" and self.stream is None:
            self.stream = StreamClient(
                self.api, on_message=self._stream_message, on_card=self._stream_card
            )
            self.stream.start()

    async def stop(self) -> None:
        if self.stream is not None:
            await self.stream.stop()
            self.stream = None
        await self.api.close()

    # --- HTTP ---

    async def handle_events(self, request: web.Request) -> web.Response:
        if not signing.robot_request_ok(
            request.headers, self.settings.client_secret, now_ms=self._now_ms()
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
        if not secret or not signing.card_request_ok(
            request.headers, secret, now_ms=self._now_ms()
        ):
            return web.json_response({"error": "bad signature"}, status=401)
        body = await _json_body(request)
        if body is None:
            return web.json_response({"error": "not a JSON object"}, status=400)
        try:
            response = await self.take_card(body)
        except HandlerRefused:
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response(response or {})

    # --- both transports ---

    async def take_message(self, body: Mapping[str, Any]) -> bool:
        """Store a robot message; False when it is not one. ``HandlerRefused``: not stored."""
        event = inbound.from_robot_message(body)
        if event is None:
            return False
        self.webhooks.remember(body)
        try:
            await self.inbox.receive(event)
        except Exception as error:
            raise HandlerRefused(repr(error)) from error
        return True

    async def take_card(self, body: Mapping[str, Any]) -> JSON | None:
        """Store a click and answer with the card's new state if it ran in time."""
        event = inbound.from_card_callback(body)
        if event is None:
            return None
        try:
            receipt = await self.inbox.receive(event, wants_answer=True)
        except Exception as error:
            raise HandlerRefused(repr(error)) from error
        if receipt.duplicate:
            return None
        answer = await self.inbox.answer(receipt, timeout=ANSWER_SECONDS)
        return card_response(answer.replies) if answer is not None else None

    async def _stream_message(self, body: Mapping[str, Any]) -> None:
        await self.take_message(body)

    async def _stream_card(self, body: Mapping[str, Any]) -> JSON | None:
        return await self.take_card(body)

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)


def card_response(replies: Sequence[Outgoing]) -> JSON | None:
    """The callback answer: the clicked card's new data (shown to the clicker at once)."""
    update = next((r for r in replies if r.kind == "update" and r.message.card_key), None)
    if update is None:
        return None
    return {
        "cardUpdateOptions": {"updateCardDataByKey": True},
        "cardData": {"cardParamMap": card_params(update.message)},
    }


async def _json_body(request: web.Request) -> JSON | None:
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None

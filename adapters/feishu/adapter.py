"""The Feishu adapter on the durable inbound port: webhook or long connection, same intake.

Every event is stored (``host.inbox.receive``) before Feishu gets its answer, so a crash
after the answer loses nothing and a re-push (same ``message_id``) is refused as a
duplicate; when the store is down the webhook answers 503 (the long connection: a 500
frame) and Feishu delivers the event again. A card click waits up to 2.5 s for its command
to run (Feishu allows 3 s): the clicker then gets the updated card in the callback answer
at once — the outbox PATCHes it for everyone — and someone not allowed to click gets a
toast with the refusal, which is then not sent again as a message.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from adapters.base import Host
from adapters.feishu.identity import Directory
from adapters.feishu.inbound import (
    CARD_ACTION_EVENT,
    MESSAGE_EVENT,
    URL_VERIFICATION,
    event_type,
    from_card_action,
    from_message,
)
from adapters.feishu.longconn import LongConnection
from adapters.feishu.outbound import PLATFORM, card
from adapters.feishu.platform import FeishuPlatform, api_client
from adapters.feishu.security import Credentials, RejectedRequest, open_request
from adapters.feishu.settings import FeishuSettings
from bot.errors import ConfigError
from bot.inbound.inbox import Answer, StoreUnavailable
from bot.outbound.platform import PlatformError
from bot.text.i18n import t
from bot.text.messages import Message

EVENTS_PATH = "/feishu/events"
ANSWER_TIMEOUT = 2.5
TOAST_LIMIT = 200
logger = logging.getLogger("concord.feishu")
Payload = dict[str, Any]


class FeishuAdapter:
    name = PLATFORM

    def __init__(self, host: Host, settings: FeishuSettings) -> None:
        self.host = host
        self.settings = settings
        self.platform = FeishuPlatform(api_client(settings))
        self.people = Directory(self.platform, host.profiles, host.clock)
        self.credentials = Credentials(settings.verification_token, settings.encrypt_key)
        self.connection: LongConnection | None = None
        self.bot_open_id: str | None = None

    async def start(self) -> None:
        await self._check_credentials()
        await self._learn_bot()
        if self.settings.mode == "long_connection":
            self.connection = LongConnection(self.settings, self.handle)
            await self.connection.start()

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.stop()
            self.connection = None

    async def on_webhook(self, request: web.Request) -> web.Response:
        """``POST /feishu/events``: events, card callbacks and the URL challenge."""
        body = await request.read()
        now = self.host.clock.now().timestamp()
        try:
            payload = open_request(body, request.headers, self.credentials, now=now)
        except RejectedRequest as rejected:
            logger.warning("refused a Feishu request: %s", rejected.reason)
            return web.json_response({"msg": rejected.reason}, status=rejected.status)
        if event_type(payload) == URL_VERIFICATION:
            return web.json_response({"challenge": payload.get("challenge")})
        try:
            answer = await self.handle(payload)
        except StoreUnavailable:
            return web.json_response({"msg": "try again"}, status=503)
        return web.json_response(answer)

    async def handle(self, payload: Payload) -> Payload:
        """One event from either transport → what Feishu gets back."""
        kind = event_type(payload)
        if kind == MESSAGE_EVENT:
            await self._learn_bot()
            incoming = from_message(payload, bot_open_id=self.bot_open_id)
            if incoming is not None:
                self.people.learn(incoming.mentions)
                await self.host.inbox.receive(incoming)
            return {}
        if kind == CARD_ACTION_EVENT:
            return await self._card_action(payload)
        return {}

    async def _card_action(self, payload: Payload) -> Payload:
        event = from_card_action(payload)
        if event is None:
            return {}
        try:
            receipt = await self.host.inbox.receive(event, wants_answer=True)
        except StoreUnavailable:
            return toast(self._t("feishu.toast.unavailable"), kind="error")
        if receipt.duplicate:
            return {}
        answer = await self.host.inbox.answer(receipt, timeout=ANSWER_TIMEOUT)
        if answer is None:
            return toast(self._t("feishu.toast.working"))
        response = self._callback_answer(answer)
        if "card" not in response:
            # The refusal is in the toast; its outbox copy (a DM) would say it twice.
            await self.host.inbox.answered(answer)
        return response

    def _callback_answer(self, answer: Answer) -> Payload:
        updates = [r.message for r in answer.replies if r.kind == "update"]
        notes = [r.message for r in answer.replies if r.kind != "update"]
        if updates:
            return {
                **toast(self._t("feishu.toast.done")),
                "card": {"type": "raw", "data": card(updates[0])},
            }
        if notes:
            return toast(_toast_text(notes[0]), kind="error")
        return toast(self._t("feishu.toast.done"))

    def _t(self, key: str) -> str:
        # ``[feishu] locale`` and ``[locales] feishu`` are one setting; the loader keeps the latter.
        return t(self.host.settings.platform_locale(PLATFORM), key)

    async def _check_credentials(self) -> None:
        """A wrong App ID or Secret stops start-up, naming the keys."""
        try:
            await self.platform.tokens.option()
        except PlatformError as error:
            raise ConfigError(
                f"Config keys 'feishu.app_id' / 'feishu.app_secret' were refused by "
                f"{self.settings.domain} ({error}); check them (and 'feishu.domain')"
            ) from error

    async def _learn_bot(self) -> None:
        """The bot's own open_id (to strip its mention); retried until Feishu answers."""
        if self.bot_open_id is not None:
            return
        try:
            self.bot_open_id = await self.platform.bot_open_id()
        except PlatformError as error:
            logger.warning("bot/v3/info failed: %s", error)


def toast(text: str, *, kind: str = "info") -> Payload:
    return {"toast": {"type": kind, "content": text}}


def _toast_text(message: Message) -> str:
    text = " ".join(message.plain_text().split())
    return text if len(text) <= TOAST_LIMIT else text[: TOAST_LIMIT - 1] + "…"


def create(host: Host, settings: FeishuSettings) -> FeishuAdapter:
    adapter = FeishuAdapter(host, settings)
    if settings.mode == "webhook":
        # Events and card callbacks share the one request URL.
        host.web.router.add_post(EVENTS_PATH, adapter.on_webhook)
    return adapter

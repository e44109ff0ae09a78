"""``bot.outbound.platform.Platform`` for DingTalk, through the OpenAPI with the app access token.

* A group (``cid…``) gets ``POST /v1.0/robot/groupMessages/send``; a person (their userId)
  gets ``POST /v1.0/robot/oToMessages/batchSend`` — the core addresses DMs by account id,
  also when it edits a card it posted there, so the id decides, not ``target.is_direct``.
* An approval card (a message with buttons), when ``approval_card_template_id`` is set, goes
  out as an advanced interactive card with ``POST /v1.0/card/instances/createAndDeliver``;
  its ``outTrackId`` is built from ``target.idempotency_key`` (``outbox:<id>``), so the
  outbox's retry after a crash re-uses the same card id instead of inventing a second card.
  Clicks come back over the Stream (``callbackType: STREAM``) or to ``POST /dingtalk/cards``
  (``HTTP`` with the registered route key).
* ``update`` of a card is ``PUT /v1.0/card/instances`` (everyone's view); a markdown message
  cannot be edited on DingTalk, so its new state is posted as a new message.
* DingTalk groups have no private messages: ``send_ephemeral`` is a single-chat message.
* ``groupMessages/send`` documents no way to @-mention, so while a group's latest
  ``sessionWebhook`` (from a message someone sent there, valid ~1.5 h) is alive, group
  markdown goes to it instead, with ``at.atUserIds``, and the people it names are notified.
  Only ``…/robot/sendBySession`` URLs are used, on ``oapi_base_url``'s host (a payload
  cannot make Concord post elsewhere). A refusal there falls back to the OpenAPI; no answer
  at all is left to the outbox's retry, since the message may have arrived.

Message ids returned to the outbox say which kind they are: ``card:<outTrackId>`` or
``msg:<processQueryKey>``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from adapters.dingtalk.inbound import out_track_id
from adapters.dingtalk.openapi import OpenApi, Unreachable
from adapters.dingtalk.outbound import (
    PLATFORM,
    Markdown,
    card_mentions,
    card_params,
    render_markdown,
    title,
)
from adapters.dingtalk.settings import DingTalkSettings
from bot.outbound.platform import PlatformError
from bot.text.messages import Message, Target

logger = logging.getLogger("concord.dingtalk")

GROUP_SEND = "/v1.0/robot/groupMessages/send"
SINGLE_SEND = "/v1.0/robot/oToMessages/batchSend"
CARD_SEND = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE = "/v1.0/card/instances"
CARD_ROUTE_KEY = "concord"  # the callbackRouteKey registered for POST /dingtalk/cards
CARD_ID = "card:"
MESSAGE_ID = "msg:"
WEBHOOK_PATH = "/robot/sendBySession"
WEBHOOK_MARGIN_MS = 60_000  # do not start a send on a webhook about to expire


class SessionWebhooks:
    """The latest live ``sessionWebhook`` of each group chat, learned from its messages."""

    def __init__(self, oapi_base_url: str, *, now_ms: Callable[[], int] | None = None) -> None:
        self.oapi_base_url = oapi_base_url.rstrip("/")
        self._now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._hooks: dict[str, tuple[str, int]] = {}

    def remember(self, body: Mapping[str, Any]) -> None:
        chat, url = body.get("conversationId"), body.get("sessionWebhook")
        expires = body.get("sessionWebhookExpiredTime")
        if str(body.get("conversationType")) != "2" or not isinstance(chat, str):
            return
        if not isinstance(url, str) or not isinstance(expires, int):
            return
        parts = urlsplit(url)
        if parts.path != WEBHOOK_PATH or not parts.query:
            return
        known = self._hooks.get(chat)
        if known is None or known[1] <= expires:
            self._hooks[chat] = (f"{self.oapi_base_url}{WEBHOOK_PATH}?{parts.query}", expires)

    def live(self, chat_id: str) -> str | None:
        found = self._hooks.get(chat_id)
        if found is None or found[1] - WEBHOOK_MARGIN_MS <= self._now_ms():
            return None
        return found[0]

    def forget(self, chat_id: str) -> None:
        self._hooks.pop(chat_id, None)


def is_group(chat_id: str) -> bool:
    """Group conversations are ``cid…``; anything else is a person's userId."""
    return chat_id.startswith("cid")


class DingTalkPlatform:
    """Delivers neutral messages to DingTalk groups and single chats."""

    name = PLATFORM

    def __init__(
        self, api: OpenApi, settings: DingTalkSettings, webhooks: SessionWebhooks | None = None
    ) -> None:
        self.api = api
        self.settings = settings
        self.webhooks = webhooks or SessionWebhooks(settings.oapi_base_url)

    async def send(self, target: Target, message: Message) -> str:
        if message.buttons and self.settings.cards_enabled:
            return CARD_ID + await self._send_card(target, message)
        return MESSAGE_ID + await self._send_markdown(target.chat_id, message)

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        if message_id.startswith(CARD_ID):
            body = {
                "outTrackId": message_id.removeprefix(CARD_ID),
                "cardData": {
                    "cardParamMap": card_params(message, in_group=is_group(target.chat_id))
                },
                "cardUpdateOptions": {"updateCardDataByKey": True},
            }
            await self.api.call("PUT", CARD_UPDATE, body)
            return
        await self._send_markdown(target.chat_id, message)

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        private = replace(target, chat_id=account_id, is_direct=True, thread_id=None)
        await self.send(private, message)

    async def _send_markdown(self, chat_id: str, message: Message) -> str:
        group = is_group(chat_id)
        rendered = render_markdown(message, in_group=group, default_locale=self.settings.locale)
        body: dict[str, object] = {
            "robotCode": self.settings.robot,
            "msgKey": "sampleMarkdown",
            "msgParam": rendered.msg_param(),
        }
        if group:
            hook = self.webhooks.live(chat_id)
            if hook is not None and await self._send_by_webhook(chat_id, hook, rendered):
                return "webhook"
            body["openConversationId"] = chat_id
            answer = await self.api.call("POST", GROUP_SEND, body)
        else:
            body["userIds"] = [chat_id]
            answer = await self.api.call("POST", SINGLE_SEND, body)
        return str(answer.get("processQueryKey") or "")

    async def _send_by_webhook(self, chat_id: str, hook: str, rendered: Markdown) -> bool:
        """True when the group's sessionWebhook took the message."""
        try:
            answer = await self.api.post_json(hook, rendered.webhook_body())
        except Unreachable:
            raise
        except PlatformError as error:
            logger.warning("sessionWebhook of %s refused the message (%s)", chat_id, error)
            self.webhooks.forget(chat_id)
            return False
        if answer.get("errcode") != 0:
            logger.warning("sessionWebhook of %s answered %s", chat_id, answer)
            self.webhooks.forget(chat_id)
            return False
        return True

    async def _send_card(self, target: Target, message: Message) -> str:
        group = is_group(target.chat_id)
        key = (target.idempotency_key or uuid.uuid4().hex).replace(":", "-")
        track_id = out_track_id(key, target.chat_id, direct=not group)
        space = {"supportForward": True, "lastMessageI18n": {"ZH_CN": title(message)}}
        body: dict[str, object] = {
            "cardTemplateId": self.settings.approval_card_template_id,
            "outTrackId": track_id,
            "cardData": {"cardParamMap": card_params(message, in_group=group)},
            "userIdType": 1,
        }
        if self.settings.mode == "http":
            body.update(callbackType="HTTP", callbackRouteKey=CARD_ROUTE_KEY)
        else:
            body["callbackType"] = "STREAM"
        if group:
            deliver: dict[str, object] = {"robotCode": self.settings.robot}
            mentioned = card_mentions(message)
            if mentioned:
                deliver["atUserIds"] = mentioned
            body.update(
                openSpaceId=f"dtv1.card//IM_GROUP.{target.chat_id}",
                imGroupOpenSpaceModel=space,
                imGroupOpenDeliverModel=deliver,
            )
        else:
            body.update(
                openSpaceId=f"dtv1.card//IM_ROBOT.{target.chat_id}",
                imRobotOpenSpaceModel=space,
                imRobotOpenDeliverModel={"spaceType": "IM_ROBOT", "robotCode": self.settings.robot},
            )
        await self.api.call("POST", CARD_SEND, body)
        return track_id

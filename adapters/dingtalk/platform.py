"""``bot.platform.Platform`` for DingTalk, through the OpenAPI with the app access token.

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

Message ids returned to the outbox say which kind they are: ``card:<outTrackId>`` or
``msg:<processQueryKey>``.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from adapters.dingtalk.inbound import out_track_id
from adapters.dingtalk.openapi import OpenApi
from adapters.dingtalk.outbound import (
    PLATFORM,
    card_mentions,
    card_params,
    render_markdown,
    title,
)
from adapters.dingtalk.settings import DingTalkSettings
from bot.messages import Message, Target

GROUP_SEND = "/v1.0/robot/groupMessages/send"
SINGLE_SEND = "/v1.0/robot/oToMessages/batchSend"
CARD_SEND = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE = "/v1.0/card/instances"
CARD_ROUTE_KEY = "concord"  # the callbackRouteKey registered for POST /dingtalk/cards
CARD_ID = "card:"
MESSAGE_ID = "msg:"


def is_group(chat_id: str) -> bool:
    """Group conversations are ``cid…``; anything else is a person's userId."""
    return chat_id.startswith("cid")


class DingTalkPlatform:
    """Delivers neutral messages to DingTalk groups and single chats."""

    name = PLATFORM

    def __init__(self, api: OpenApi, settings: DingTalkSettings) -> None:
        self.api = api
        self.settings = settings

    async def send(self, target: Target, message: Message) -> str:
        if message.buttons and self.settings.cards_enabled:
            return CARD_ID + await self._send_card(target, message)
        return MESSAGE_ID + await self._send_markdown(target.chat_id, message)

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        if message_id.startswith(CARD_ID):
            body = {
                "outTrackId": message_id.removeprefix(CARD_ID),
                "cardData": {"cardParamMap": card_params(message)},
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
            body["openConversationId"] = chat_id
            answer = await self.api.call("POST", GROUP_SEND, body)
        else:
            body["userIds"] = [chat_id]
            answer = await self.api.call("POST", SINGLE_SEND, body)
        return str(answer.get("processQueryKey") or "")

    async def _send_card(self, target: Target, message: Message) -> str:
        group = is_group(target.chat_id)
        key = (target.idempotency_key or uuid.uuid4().hex).replace(":", "-")
        track_id = out_track_id(key, target.chat_id, direct=not group)
        space = {"supportForward": True, "lastMessageI18n": {"ZH_CN": title(message)}}
        body: dict[str, object] = {
            "cardTemplateId": self.settings.approval_card_template_id,
            "outTrackId": track_id,
            "cardData": {"cardParamMap": card_params(message)},
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

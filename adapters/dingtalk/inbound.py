"""DingTalk payloads → neutral ``IncomingMessage`` / ``ActionEvent`` (pure functions).

Robot messages (the Stream ``data`` and the HTTP callback body are the same JSON):

* the speaker is their ``senderStaffId`` (the org's userId, what the OpenAPI and
  ``atUserIds`` take), or the encrypted ``senderId`` when DingTalk sends no staffId (the
  console's debug group, people outside the org); their ``senderNick`` comes along;
* a group message is in its ``conversationId`` (``cid…``); a single chat is addressed by the
  speaker's userId, because that is what ``oToMessages/batchSend`` sends to;
* DingTalk strips the robot's own @-mention from ``text.content`` but keeps the others as
  ``@name``; ``atUsers`` lists everyone mentioned (robot included) by ``dingtalkId`` and, for
  org members, ``staffId``, in the order they appear. Each ``@…`` in the text is paired with
  the next unused ``atUsers`` entry and becomes a neutral ``<@staffId>`` token (the name
  travels in ``mentions``); an ``@userId`` written literally matches that user directly;
* de-duplication key: ``message:<msgId>``.

Card callbacks (``actionCallback``) carry the card's ``outTrackId``, the clicker's
``userId`` and the button's params — in ``content`` (``cardPrivateData.params``) on one
documented page, in ``value`` on another; both are read. The card's chat is encoded in its
``outTrackId`` (``out_track_id``), so a click needs no lookup to know where it happened.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.dingtalk.outbound import PLATFORM
from bot.text.messages import ActionEvent, IncomingMessage

JSON = Mapping[str, Any]
GROUP = "2"
_AT_WORD = re.compile(r"(?<![A-Za-z0-9._%+\-])@([^\s@,，、:：]+)")
_TRACK_PREFIX = "concord"


def account_of(user: JSON) -> str | None:
    """The account Concord knows a person by: staffId if given, else the dingtalkId."""
    for key in ("staffId", "senderStaffId", "userId"):
        value = user.get(key)
        if isinstance(value, str) and value:
            return value
    for key in ("dingtalkId", "senderId"):
        value = user.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def message_text(body: JSON) -> str | None:
    """The typed text of a robot message, or None for pictures, files, video."""
    kind = body.get("msgtype")
    if kind == "text":
        text = _mapping(body.get("text")).get("content")
        return text if isinstance(text, str) else None
    content = _mapping(body.get("content"))
    if kind == "richText":
        items = content.get("richText") or []
        words = [
            i["text"] for i in items if isinstance(i, Mapping) and isinstance(i.get("text"), str)
        ]
        return " ".join(words) if words else None
    if kind == "audio":
        recognized = content.get("recognition")
        return recognized if isinstance(recognized, str) and recognized.strip() else None
    return None


def from_robot_message(body: JSON) -> IncomingMessage | None:
    """A robot message → the command it carries (None: not a usable message)."""
    sender = account_of(body)
    conversation = body.get("conversationId")
    msg_id = body.get("msgId")
    if not sender or not isinstance(conversation, str) or not isinstance(msg_id, str):
        return None
    text = message_text(body)
    is_group = str(body.get("conversationType")) == GROUP
    others = _mentioned(body.get("atUsers"), robot=body.get("chatbotUserId"))
    line, mentions = command_text(text or "", others)
    title = body.get("conversationTitle")
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=conversation if is_group else sender,
        sender_id=sender,
        text=line if text is not None else "",
        sender_name=_string(body.get("senderNick")),
        chat_name=title if is_group and isinstance(title, str) else None,
        is_direct=not is_group,
        mentions=mentions,
        event_id=f"message:{msg_id}",
    )


def is_text(body: JSON) -> bool:
    return message_text(body) is not None


def command_text(text: str, mentioned: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Text with ``@…`` turned into ``<@account>`` tokens, and account → display name."""
    unused = list(mentioned)
    mentions: dict[str, str] = {}

    def person(match: re.Match[str]) -> str:
        word = match.group(1)
        account = word if word in unused else (unused[0] if unused else None)
        if account is None:
            return match.group(0)  # not a DingTalk mention: the core resolves @name itself
        unused.remove(account)
        mentions[account] = word
        return f"<@{account}>"

    line = _AT_WORD.sub(person, text)
    return line.strip(), mentions


def _mentioned(at_users: Any, *, robot: Any) -> list[str]:
    accounts: list[str] = []
    for user in at_users if isinstance(at_users, list) else []:
        if not isinstance(user, Mapping) or user.get("dingtalkId") == robot:
            continue
        account = account_of(user)
        if account and account not in accounts:
            accounts.append(account)
    return accounts


def out_track_id(key: str, chat_id: str, *, direct: bool) -> str:
    """The card's id: the outbox row's key plus its chat (clicks come back with it)."""
    where = base64.urlsafe_b64encode(chat_id.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{_TRACK_PREFIX}.{key}.{'d' if direct else 'g'}.{where}"


def card_chat(track_id: str) -> tuple[str, bool] | None:
    """(chat id, is direct) of a card Concord sent, from its ``outTrackId``."""
    parts = track_id.split(".")
    if len(parts) != 4 or parts[0] != _TRACK_PREFIX or parts[2] not in ("d", "g"):
        return None
    try:
        chat = base64.urlsafe_b64decode(parts[3] + "=" * (-len(parts[3]) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (chat, parts[2] == "d") if chat else None


def callback_params(body: JSON) -> dict[str, str]:
    """The clicked button's params, wherever this kind of callback puts them."""
    for key in ("content", "value"):
        raw = body.get(key)
        try:
            data = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        if not isinstance(data, Mapping):
            continue
        private = data.get("cardPrivateData")
        for holder in (private, data):
            params = holder.get("params") if isinstance(holder, Mapping) else None
            if isinstance(params, Mapping):
                return {str(k): str(v) for k, v in params.items() if v is not None}
    return {}


def from_card_callback(body: JSON) -> ActionEvent | None:
    """A click on one of Concord's interactive cards (None: not ours, or no action)."""
    track_id, user = body.get("outTrackId"), body.get("userId")
    if not isinstance(track_id, str) or not isinstance(user, str) or not user:
        return None
    where = card_chat(track_id)
    params = callback_params(body)
    action, value = params.get("action"), params.get("value")
    if where is None or not action or value is None:
        return None
    chat, direct = where
    return ActionEvent(
        platform=PLATFORM,
        chat_id=chat,
        sender_id=user,
        action=action,
        value=value,
        is_direct=direct,
        event_id=f"card:{track_id}:{user}:{action}:{value}",
        message_id=track_id,
        inputs={k: v for k, v in params.items() if k not in ("action", "value")},
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

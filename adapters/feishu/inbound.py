"""Feishu payloads → neutral ``IncomingMessage`` / ``ActionEvent`` (pure functions).

A message's text holds ``@_user_N`` placeholders that its ``mentions`` list maps to people
(by ``open_id``); the command line the core reads keeps them as neutral ``<@open_id>`` tokens
(names in ``IncomingMessage.mentions``) and drops the bot's own mention. ``post`` (rich text)
messages are flattened to lines of text the same way; other kinds (images, files, stickers)
carry no command, so they arrive as an empty line, which the core answers with help.

De-duplication keys (``event_id``): Feishu re-pushes the same message under a new event id,
so a message is identified by its ``message_id``; a card click by the callback's event id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from adapters.feishu.outbound import PLATFORM, decode_value
from bot.text.messages import ActionEvent, IncomingMessage

JSON = Mapping[str, Any]
MESSAGE_EVENT = "im.message.receive_v1"
CARD_ACTION_EVENT = "card.action.trigger"
URL_VERIFICATION = "url_verification"
PLACEHOLDER_RE = re.compile(r"@_user_\d+")


def event_type(payload: JSON) -> str:
    """``header.event_type`` (v2), ``event.type`` (v1 events) or ``type`` (challenge)."""
    header = payload.get("header")
    if isinstance(header, Mapping) and header.get("event_type"):
        return str(header["event_type"])
    event = payload.get("event")
    if payload.get("type") == "event_callback" and isinstance(event, Mapping):
        return str(event.get("type") or "")
    return str(payload.get("type") or "")


def payload_token(payload: JSON) -> str | None:
    """The verification token the payload carries (v2 ``header.token``, else ``token``)."""
    header = payload.get("header")
    token = header.get("token") if isinstance(header, Mapping) else payload.get("token")
    return token if isinstance(token, str) else None


def from_message(payload: JSON, *, bot_open_id: str | None) -> IncomingMessage | None:
    """``im.message.receive_v1`` from a person → the command they typed (None: not ours)."""
    event = payload.get("event") or {}
    sender = event.get("sender") or {}
    message = event.get("message") or {}
    sender_id = (sender.get("sender_id") or {}).get("open_id")
    if sender.get("sender_type", "user") != "user" or not sender_id:
        return None
    if not message.get("message_id") or not message.get("chat_id"):
        return None
    people = {m.get("key"): m for m in message.get("mentions") or [] if m.get("key")}
    direct = message.get("chat_type") == "p2p"
    bot = bot_open_id or _leading_mention(message, people, direct)
    names: dict[str, str] = {}

    def person(key: str) -> str:
        entry = people.get(key)
        account = ((entry or {}).get("id") or {}).get("open_id")
        if not account:
            return key
        if account == bot:
            return " "
        names[account] = str(entry.get("name") or account)  # type: ignore[union-attr]
        return f"<@{account}>"  # no name inside: a space would end an option's value

    text = message_text(message, person)
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=str(message["chat_id"]),
        sender_id=str(sender_id),
        text=text.strip(),
        is_direct=direct,
        mentions=names,
        event_id=f"message:{message['message_id']}",
        thread_id=message.get("root_id") or None,
    )


def message_text(message: JSON, person: Any) -> str:
    """The text of a ``text`` or ``post`` message, each ``@_user_N`` through ``person``."""
    content = _content(message.get("content"))
    kind = message.get("message_type")
    if kind == "text":
        raw = str(content.get("text") or "")
        return PLACEHOLDER_RE.sub(lambda m: person(m.group(0)), raw)
    if kind == "post":
        return post_text(content, person)
    return ""


def post_text(content: JSON, person: Any) -> str:
    """Rich text → lines: text, links and code as typed, ``at`` elements as people."""
    if "content" not in content and len(content) == 1:
        only = next(iter(content.values()))  # a locale wrapper: {"zh_cn": {...}}
        content = only if isinstance(only, Mapping) else {}
    lines = [str(content["title"])] if content.get("title") else []
    for paragraph in content.get("content") or []:
        parts = []
        for element in paragraph if isinstance(paragraph, list) else []:
            if element.get("tag") == "at":
                user = str(element.get("user_id") or "")
                parts.append(person(user) if user.startswith("@_user") else _at(user, element))
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
        lines.append("".join(parts))
    return "\n".join(lines)


def from_card_action(payload: JSON) -> ActionEvent | None:
    """A click on one of Concord's buttons (its callback value names action and value)."""
    event = payload.get("event") or {}
    operator = (event.get("operator") or {}).get("open_id")
    action = event.get("action") or {}
    decoded = decode_value(action.get("value"))
    context = event.get("context") or {}
    header = payload.get("header") or {}
    if not operator or decoded is None:
        return None
    chat = str(context.get("open_chat_id") or "")
    form = action.get("form_value") or {}
    return ActionEvent(
        platform=PLATFORM,
        chat_id=chat,
        sender_id=str(operator),
        action=decoded[0],
        value=decoded[1],
        event_id=f"event:{header['event_id']}" if header.get("event_id") else None,
        message_id=context.get("open_message_id"),
        inputs={str(k): str(v) for k, v in form.items() if isinstance(v, str | int | float)},
    )


def _content(raw: Any) -> JSON:
    """``message.content`` is a JSON string; anything unreadable counts as empty."""
    if isinstance(raw, Mapping):
        return raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def _at(user: str, element: JSON) -> str:
    return f"<@{user}>" if user.startswith("ou_") else "@" + str(element.get("user_name") or "")


def _leading_mention(message: JSON, people: Mapping[str, Any], direct: bool) -> str | None:
    """Without the bot's open_id (its info call failed): in a group the bot only hears
    messages that mention it, and people write ``@Concord …`` first."""
    if direct:
        return None
    text = str(_content(message.get("content")).get("text") or "").lstrip()
    first = PLACEHOLDER_RE.match(text)
    entry = people.get(first.group(0)) if first else None
    return ((entry or {}).get("id") or {}).get("open_id")

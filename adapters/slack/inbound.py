"""Slack payloads → neutral ``IncomingMessage`` / ``ActionEvent`` (pure functions).

Slack writes mentions as ``<@U…>`` (events) or ``<@U…|name>`` (escaped slash commands),
channels as ``<#C…|name>``, links as ``<https://…|label>`` and escapes ``&<>``. The command
line the core reads keeps people as neutral ``<@U…>`` tokens (their names travel in
``IncomingMessage.mentions``), drops the bot's own mention, and turns the rest back into
the text the user typed.

De-duplication keys (``event_id``): a message is identified by its channel and ``ts`` —
the same post reaches us as a ``message`` and an ``app_mention`` event with different Slack
event ids, and a retry repeats both; a slash command by its ``trigger_id``; a click by its
``action_ts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.slack.modals import Form, command_line
from adapters.slack.outbound import ACTION_SUFFIX, PLATFORM
from bot.text.messages import ActionEvent, IncomingMessage

JSON = Mapping[str, Any]
USER_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL_RE = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_LINK_RE = re.compile(r"<((?:https?|mailto|tel):[^>|]+)(?:\|[^>]*)?>")
_SPECIAL_RE = re.compile(r"<!([^>|]+)(?:\|([^>]*))?>")


def mentioned_users(text: str, *, bot_user_id: str | None = None) -> list[str]:
    """The people ``@``-mentioned in Slack text, in order, without the bot."""
    ids = [match.group(1) for match in USER_RE.finditer(text)]
    return [i for i in dict.fromkeys(ids) if i != bot_user_id]


def command_text(
    text: str, *, names: Mapping[str, str], bot_user_id: str | None = None
) -> tuple[str, dict[str, str]]:
    """Slack text → (the neutral command line, mentioned account → display name)."""
    mentions: dict[str, str] = {}

    def person(match: re.Match[str]) -> str:
        account = match.group(1)
        if account == bot_user_id:
            return " "
        mentions[account] = names.get(account) or match.group(2) or account
        return f"<@{account}>"  # no name inside: a space would end an option's value

    text = USER_RE.sub(person, text)
    text = _CHANNEL_RE.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK_RE.sub(lambda m: m.group(1), text)
    text = _SPECIAL_RE.sub(lambda m: m.group(2) or "", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip(), mentions


def from_command(
    body: JSON, *, names: Mapping[str, str], bot_user_id: str | None = None
) -> IncomingMessage:
    """A slash command (``/concord task add …``): everything after the command name."""
    text, mentions = command_text(body.get("text") or "", names=names, bot_user_id=bot_user_id)
    channel = str(body["channel_id"])
    user = str(body["user_id"])
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=channel,
        sender_id=user,
        text=text,
        sender_name=names.get(user) or body.get("user_name"),
        chat_name=_chat_name(body.get("channel_name"), channel),
        is_direct=is_direct_channel(channel, body.get("channel_name")),
        mentions=mentions,
        event_id=f"command:{body['trigger_id']}" if body.get("trigger_id") else None,
    )


def wants_event(event: JSON) -> bool:
    """Only people's messages to the bot: mentions in channels, anything in a DM."""
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return False
    if event.get("type") == "app_mention":
        return True
    return event.get("type") == "message" and event.get("channel_type") == "im"


def from_event(
    event: JSON, *, names: Mapping[str, str], bot_user_id: str | None = None
) -> IncomingMessage:
    """An ``app_mention`` or a direct message; a reply in a thread stays in that thread."""
    text, mentions = command_text(event.get("text") or "", names=names, bot_user_id=bot_user_id)
    channel = str(event["channel"])
    user = str(event["user"])
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=channel,
        sender_id=user,
        text=text,
        sender_name=names.get(user),
        is_direct=event.get("channel_type") == "im" or channel.startswith("D"),
        mentions=mentions,
        event_id=f"message:{channel}:{event['ts']}",
        thread_id=event.get("thread_ts"),
    )


def from_action(body: JSON, *, names: Mapping[str, str]) -> ActionEvent | None:
    """The first button of a ``block_actions`` payload (Concord's buttons carry a value)."""
    actions = body.get("actions") or []
    if not actions or "value" not in actions[0]:
        return None
    action = actions[0]
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    user = str(body["user"]["id"])
    # Private answers appear where the card is; public ones go to the card's thread.
    card_thread = container.get("thread_ts")
    return ActionEvent(
        platform=PLATFORM,
        chat_id=channel,
        sender_id=user,
        action=str(action["action_id"]).split(ACTION_SUFFIX)[0],
        value=str(action["value"]),
        sender_name=names.get(user) or body["user"].get("name"),
        chat_name=_chat_name((body.get("channel") or {}).get("name"), channel),
        is_direct=channel.startswith("D"),
        event_id=f"action:{channel}:{action.get('action_ts')}:{user}",
        message_id=container.get("message_ts"),
        inputs=form_values(body.get("state") or {}),
        thread_id=card_thread or container.get("message_ts"),
        card_thread_id=card_thread,
    )


def from_view(
    form: Form, values: Mapping[str, str], meta: Mapping[str, Any], body: JSON, view: JSON
) -> IncomingMessage:
    """A submitted form: the command it stands for, from the channel it was opened in."""
    user = str(body["user"]["id"])
    channel = str(meta.get("channel") or user)
    view_id = str(view.get("id", ""))
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=channel,
        sender_id=user,
        text=command_line(form, values),
        sender_name=body["user"].get("name"),
        is_direct=bool(meta.get("direct")) or channel == user,
        event_id=f"view:{view_id}" if view_id else None,
    )


def form_values(state: JSON) -> dict[str, str]:
    """``state.values`` of a message or modal → ``{block_id: value}`` (inputs as text)."""
    values: dict[str, str] = {}
    for block_id, elements in (state.get("values") or {}).items():
        for element in elements.values():
            value = input_value(element)
            if value is not None:
                values[block_id] = value
    return values


def input_value(element: JSON) -> str | None:
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        option = element.get("selected_option")
        return str(option["value"]) if option else None
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "users_select":
        return element.get("selected_user")
    value = element.get("value")
    return str(value) if value is not None else None


def is_direct_channel(channel_id: str, channel_name: str | None = None) -> bool:
    return channel_id.startswith("D") or channel_name == "directmessage"


def _chat_name(name: str | None, channel: str) -> str:
    if not name or name in ("directmessage", "privategroup"):
        return channel
    return f"#{name}"

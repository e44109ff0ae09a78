"""Neutral messages → Feishu card JSON 2.0 or a text message (pure functions; no network).

The neutral markup is ``**bold**``, ``<@m:ID>`` mentions and ``<t:…|fallback>`` instants.
Card markdown keeps ``**bold**``, writes people as ``<at id=ou_…></at>`` (Feishu shows the
name) and instants as their fallback (Feishu has no per-reader time format); ``<`` and
``>`` typed by users are escaped so they cannot open a tag. Headers and button labels are
plain text: names instead of mentions.

A card's header colour tells its state: orange while it waits for a click, green or red
once an outcome (✅ / ❌) is written on it, blue otherwise. Every card is shared
(``update_multi``), so a PATCH updates it for everyone who sees it. A short reply without
header, fields or buttons goes as a text message (``<at user_id=…>`` mentions, ``<b>``).
Cards stay under Feishu's 30 KB content limit by dropping trailing elements.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.text.messages import (
    MENTION_RE,
    WHEN_RE,
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Message,
    Section,
)

PLATFORM = "feishu"
CARD_BYTES_LIMIT = 30 * 1024
SUMMARY_LIMIT = 120
FIELDS_PER_ROW = 2
JSON = dict[str, Any]
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_INLINE = re.compile(r"(<@m:\d+>|<t:\d+:(?:date|time|datetime)\|[^>|]*>)")
_ENTITY = re.compile(r"&(?=#?\w+;)")
ELLIPSIS: dict[str, Any] = {"tag": "markdown", "content": "…"}


def render(message: Message) -> tuple[str, str]:
    """``(msg_type, content)`` for im/v1/messages: ``content`` is the JSON string Feishu wants."""
    if is_card(message):
        return "interactive", json.dumps(card(message), ensure_ascii=False)
    return "text", json.dumps({"text": text_body(message)}, ensure_ascii=False)


def is_card(message: Message) -> bool:
    simple = all(isinstance(block, Section | Context) for block in message.blocks)
    return message.card_key is not None or not simple or not message.blocks


def card(message: Message) -> JSON:
    """The card JSON 2.0 of a neutral message."""
    blocks = list(message.blocks)
    header = blocks[0] if blocks and isinstance(blocks[0], Header) else None
    elements = [e for block in blocks if block is not header for e in _elements(block, message)]
    result: JSON = {
        "schema": "2.0",
        "config": {"update_multi": True, "summary": {"content": summary(message)}},
    }
    if header is not None:
        result["header"] = {
            "title": {"tag": "plain_text", "content": plain(header.text, message) or " "},
            "template": header_colour(message),
        }
    result["body"] = {"elements": elements}
    return _within_limit(result)


def header_colour(message: Message) -> str:
    if message.buttons:
        return "orange"
    sections = [b.text.lstrip() for b in message.blocks if isinstance(b, Section)]
    if any(text.startswith("❌") for text in sections):
        return "red"
    if any(text.startswith("✅") for text in sections):
        return "green"
    return "blue"


def summary(message: Message) -> str:
    """What the chat list and notifications show for the card."""
    first = next((line for line in message.plain_text().splitlines() if line.strip()), "")
    return _trim(first.strip(), SUMMARY_LIMIT)


def markdown(text: str, message: Message) -> str:
    """Neutral markup → card markdown."""
    parts = _INLINE.split(text)
    return "".join(
        _inline(part, message) if index % 2 else escape(part) for index, part in enumerate(parts)
    )


def plain(text: str, message: Message) -> str:
    """Neutral markup → plain text (headers, button labels): names instead of mentions."""
    return message.plain(text)


def text_body(message: Message) -> str:
    """A text message: ``<b>`` for bold, ``<at user_id=…>`` for people on Feishu."""
    text = "\n".join(b.text for b in message.blocks if isinstance(b, Section | Context))

    def person(match: re.Match[str]) -> str:
        mention = message.mention(int(match.group(1)))
        if mention is None:
            return "@?"
        account = mention.accounts.get(PLATFORM)
        return f'<at user_id="{account}">{mention.name}</at>' if account else "@" + mention.name

    text = MENTION_RE.sub(person, text)
    text = WHEN_RE.sub(lambda m: m.group(3), text)
    return _BOLD.sub(r"<b>\1</b>", text)


def escape(text: str) -> str:
    return _ENTITY.sub("&#38;", text).replace("<", "&#60;").replace(">", "&#62;")


def button_value(button: Button) -> JSON:
    """The callback value Feishu hands back unchanged as ``event.action.value``."""
    return {"action": button.action, "value": button.value}


def decode_value(value: Any) -> tuple[str, str] | None:
    """``event.action.value`` → (action, value), if it is one of Concord's buttons."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, Mapping):
        return None
    action, payload = value.get("action"), value.get("value")
    if not isinstance(action, str) or not action or not isinstance(payload, str | int):
        return None
    return action, str(payload)


def _inline(markup: str, message: Message) -> str:
    mention = MENTION_RE.fullmatch(markup)
    if mention is None:
        when = WHEN_RE.fullmatch(markup)
        assert when is not None
        return escape(when.group(3))
    found = message.mention(int(mention.group(1)))
    if found is None:
        return "@?"
    account = found.accounts.get(PLATFORM)
    return f"<at id={account}></at>" if account else "@" + escape(found.name)


def _elements(block: Block, message: Message) -> list[JSON]:
    if isinstance(block, Header):  # a second header inside the body
        return [_markdown(f"**{markdown(block.text, message)}**")]
    if isinstance(block, Section):
        return [_markdown(markdown(block.text, message))]
    if isinstance(block, Fields):
        return _fields(block, message)
    if isinstance(block, Context):
        return [{**_markdown(markdown(block.text, message)), "text_size": "notation"}]
    if isinstance(block, Actions):
        return [_buttons(block.buttons, message)]
    assert isinstance(block, Divider)
    return [{"tag": "hr"}]


def _markdown(content: str) -> JSON:
    return {"tag": "markdown", "content": content}


def _fields(block: Fields, message: Message) -> list[JSON]:
    cells = [
        _markdown(f"**{escape(label)}**\n{markdown(value, message)}")
        for label, value in block.items
    ]
    return [
        {
            "tag": "column_set",
            "columns": [
                {"tag": "column", "width": "weighted", "weight": 1, "elements": [cell]}
                for cell in cells[start : start + FIELDS_PER_ROW]
            ],
        }
        for start in range(0, len(cells), FIELDS_PER_ROW)
    ]


def _buttons(buttons: tuple[Button, ...], message: Message) -> JSON:
    """Buttons side by side, wrapping onto the next line on narrow screens."""
    return {
        "tag": "column_set",
        "flex_mode": "flow",
        "columns": [
            {"tag": "column", "width": "auto", "elements": [_button(button, message)]}
            for button in buttons
        ],
    }


def _button(button: Button, message: Message) -> JSON:
    return {
        "tag": "button",
        "text": {"tag": "plain_text", "content": plain(button.label, message)},
        "type": button.style or "default",
        "behaviors": [{"type": "callback", "value": button_value(button)}],
    }


def _within_limit(result: JSON) -> JSON:
    """Drop trailing elements (ending with "…") until the card fits; cut a lone giant one."""
    elements: list[JSON] = result["body"]["elements"]
    while _size(result) > CARD_BYTES_LIMIT and len(elements) > 1:
        if elements[-1] == ELLIPSIS:
            del elements[-2]
        else:
            elements[-1] = ELLIPSIS
    overflow = _size(result) - CARD_BYTES_LIMIT
    if overflow > 0 and elements and "content" in elements[0]:
        content = elements[0]["content"]
        elements[0]["content"] = content[: max(len(content) - overflow, 1) - 1] + "…"
    return result


def _size(result: JSON) -> int:
    return len(json.dumps(result, ensure_ascii=False).encode())


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

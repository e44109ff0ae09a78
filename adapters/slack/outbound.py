"""Neutral messages → Slack Block Kit (pure functions; no network).

The neutral markup is small: ``**bold**`` and ``<@m:ID>`` mentions. Slack's mrkdwn wants
``*bold*``, ``<@U…>`` and ``&``/``<``/``>`` escaped; plain_text fields (headers, buttons)
take names instead of mentions. Block Kit limits are respected by splitting or trimming:
3000 characters per section, 10 fields per section, 25 buttons per actions block, 150
characters per header, 75 per button label, 50 blocks per message.
"""

from __future__ import annotations

import re
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

PLATFORM = "slack"
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTONS_PER_BLOCK = 25
HEADER_LIMIT = 150
LABEL_LIMIT = 75
BLOCK_LIMIT = 50
TEXT_LIMIT = 3000
# Slack wants action ids unique within a block; repeats get "~n", which inbound removes.
ACTION_SUFFIX = "~"

JSON = dict[str, Any]
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
# Mentions and instants, as one capturing group so ``split`` keeps them (same forms as
# bot.text.messages.MENTION_RE / WHEN_RE).
_INLINE = re.compile(r"(<@m:\d+>|<t:\d+:(?:date|time|datetime)\|[^>|]*>)")
DATE_TOKENS = {
    "date": "{date_short_pretty}",
    "time": "{time}",
    "datetime": "{date_short_pretty} {time}",
}


def render(message: Message) -> JSON:
    """``{"text": fallback, "blocks": [...]}`` for chat.postMessage / chat.update."""
    blocks: list[JSON] = []
    for block in message.blocks:
        blocks.extend(_render_block(block, message))
    if len(blocks) > BLOCK_LIMIT:
        blocks = [*blocks[: BLOCK_LIMIT - 1], _context("…")]
    return {"text": fallback_text(message), "blocks": blocks}


def fallback_text(message: Message) -> str:
    """The notification / screen-reader text that accompanies the blocks (no buttons)."""
    readable = Message(
        tuple(b for b in message.blocks if not isinstance(b, Actions | Divider)),
        message.mentions,
    )
    return _trim(escape(readable.plain_text()), TEXT_LIMIT)


def mrkdwn(text: str, message: Message) -> str:
    """Neutral markup → Slack mrkdwn: escaped text, ``*bold*``, real ``<@U…>`` mentions,
    and instants as ``<!date^…>`` so every reader sees their own time zone."""
    parts = _INLINE.split(_BOLD.sub(r"*\1*", text))
    return "".join(
        _inline(part, message) if index % 2 else escape(part) for index, part in enumerate(parts)
    )


def plain(text: str, message: Message) -> str:
    """Neutral markup → plain text (headers, button labels): names instead of mentions."""
    return message.plain(text)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(markup: str, message: Message) -> str:
    mention = MENTION_RE.fullmatch(markup)
    if mention:
        return _mention(int(mention.group(1)), message)
    when = WHEN_RE.fullmatch(markup)
    assert when is not None
    epoch, style, fallback = when.groups()
    return f"<!date^{epoch}^{DATE_TOKENS[style]}|{escape(fallback)}>"


def _mention(member_id: int, message: Message) -> str:
    mention = message.mention(member_id)
    if mention is None:
        return "@?"
    account = mention.accounts.get(PLATFORM)
    return f"<@{account}>" if account else "@" + escape(mention.name)


def _render_block(block: Block, message: Message) -> list[JSON]:
    if isinstance(block, Header):
        return [_header(plain(block.text, message))]
    if isinstance(block, Section):
        return [_section(chunk) for chunk in _chunks(mrkdwn(block.text, message), SECTION_LIMIT)]
    if isinstance(block, Fields):
        return _fields(block, message)
    if isinstance(block, Context):
        return [_context(_trim(mrkdwn(block.text, message), SECTION_LIMIT))]
    if isinstance(block, Actions):
        return _actions(block.buttons, message)
    assert isinstance(block, Divider)
    return [{"type": "divider"}]


def _header(text: str) -> JSON:
    return {"type": "header", "text": _plain_text(_trim(text, HEADER_LIMIT))}


def _section(text: str) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> JSON:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _plain_text(text: str) -> JSON:
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def _fields(block: Fields, message: Message) -> list[JSON]:
    fields = [
        {
            "type": "mrkdwn",
            "text": _trim(f"*{escape(label)}*\n{mrkdwn(value, message)}", FIELD_LIMIT),
        }
        for label, value in block.items
    ]
    return [
        {"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]}
        for start in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def _actions(buttons: tuple[Button, ...], message: Message) -> list[JSON]:
    elements = [_button(button, message) for button in buttons]
    blocks: list[JSON] = []
    for start in range(0, len(elements), BUTTONS_PER_BLOCK):
        chunk = elements[start : start + BUTTONS_PER_BLOCK]
        _unique_action_ids(chunk)
        blocks.append({"type": "actions", "elements": chunk})
    return blocks


def _button(button: Button, message: Message) -> JSON:
    element: JSON = {
        "type": "button",
        "text": _plain_text(_trim(plain(button.label, message), LABEL_LIMIT)),
        "action_id": button.action,
        "value": button.value,
    }
    if button.style:
        element["style"] = button.style
    return element


def _unique_action_ids(elements: list[JSON]) -> None:
    seen: dict[str, int] = {}
    for element in elements:
        action = element["action_id"]
        seen[action] = seen.get(action, 0) + 1
        if seen[action] > 1:
            element["action_id"] = f"{action}{ACTION_SUFFIX}{seen[action]}"


def _chunks(text: str, limit: int) -> list[str]:
    """Split at line ends so no piece exceeds ``limit`` (a longer line is cut)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = _trim(line, limit)
    return [*pieces, current] if current or not pieces else pieces


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

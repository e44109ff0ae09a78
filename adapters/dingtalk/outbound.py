"""Neutral messages → DingTalk robot markdown and interactive-card data (pure functions).

DingTalk's robot markdown knows headings, ``**bold**``, quotes, rules and hard line breaks
(``"  \\n"``); a mention only notifies someone when their ``userId`` is listed in
``atUserIds`` *and* written as ``@userId`` in the text (DingTalk then shows their name).
People without a DingTalk userId (other platforms, or only an encrypted ``dingtalkId``)
appear as ``@name``. Instants show the fallback already formatted for the chat's zone.

Approval cards come two ways:

* with ``[dingtalk] approval_card_template_id``: an advanced interactive card whose
  ``cardParamMap`` carries the title, the body as markdown, a ``status`` and up to three
  buttons (``btnN_label``/``btnN_action``/``btnN_value``/``btnN_style``, see
  ``adapters/dingtalk/approval_card_template.json``);
* without a template: one markdown message in which the buttons become the text commands
  that do the same (``@Concord 申请 R2 同意``): DingTalk group robots cannot receive clicks,
  so the card says what to type instead.

In a group every suggested command (a ``code`` span) is written ``@Concord …``: the robot
only receives messages that @-mention it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.text.i18n import t
from bot.text.messages import (
    MENTION_RE,
    WHEN_RE,
    Actions,
    Block,
    Context,
    Divider,
    Fields,
    Header,
    Message,
    Section,
)

PLATFORM = "dingtalk"
# The robot's name as the docs tell you to set it (docs/dingtalk.md): in a group, a text
# command only reaches the robot when it starts with an @-mention of it.
ROBOT_NAME = "Concord"
TITLE_LIMIT = 64
# groupMessages/send takes msgParam up to 15000 bytes; stay well below with the JSON quoting.
TEXT_LIMIT_BYTES = 12000
CARD_BUTTONS = 3
LINE_BREAK = "  \n"
JSON = dict[str, Any]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODE = re.compile(r"`([^`\n]+)`")
_STAFF_ID = re.compile(r"[A-Za-z0-9_\-.]+")  # userIds; encrypted dingtalkIds start with "$:"


@dataclass(frozen=True, slots=True)
class Markdown:
    """A robot markdown message (``msgKey: sampleMarkdown``) and the userIds it @-mentions."""

    title: str
    text: str
    at_user_ids: tuple[str, ...] = ()

    def msg_param(self) -> str:
        """``msgParam`` of ``msgKey: sampleMarkdown`` (a JSON string)."""
        return json.dumps({"title": self.title, "text": self.text}, ensure_ascii=False)

    def webhook_body(self) -> JSON:
        """The same message for a ``sessionWebhook``, which also notifies the @-mentioned."""
        return {
            "msgtype": "markdown",
            "markdown": {"title": self.title, "text": self.text},
            "at": {"atUserIds": list(self.at_user_ids), "isAtAll": False},
        }


def is_user_id(account: str) -> bool:
    """A DingTalk ``userId`` (staffId), as opposed to an encrypted ``$:LWCP_v1:$…`` id."""
    return bool(_STAFF_ID.fullmatch(account))


def render_markdown(message: Message, *, in_group: bool, default_locale: str) -> Markdown:
    """The whole message as markdown; buttons (if any) as the equivalent text commands."""
    at: dict[str, None] = {}
    locale = message_locale(message, default_locale)
    key = "dingtalk.card.type_in_group" if in_group else "dingtalk.card.type_in_chat"
    parts = [
        "> " + t(locale, key, robot=ROBOT_NAME)
        if _is_buttons(block)
        else _block(block, message, at)
        for block in message.blocks
    ]
    text = addressed("\n\n".join(p for p in parts if p), in_group=in_group)
    return Markdown(title(message), _trim_bytes(text, TEXT_LIMIT_BYTES), tuple(at))


def addressed(text: str, *, in_group: bool) -> str:
    """In a group a typed command only reaches the robot after an @-mention of it, so every
    command the text suggests (``code``) is written that way."""
    if not in_group:
        return text
    return _CODE.sub(lambda m: f"`@{ROBOT_NAME} {m.group(1)}`", text)


def card_params(message: Message, *, in_group: bool = False) -> dict[str, str]:
    """``cardData.cardParamMap`` for the approval card template (values are strings)."""
    at: dict[str, None] = {}
    body = [
        _block(block, message, at)
        for block in message.blocks
        if not isinstance(block, Header) and not _is_buttons(block)
    ]
    params = {
        "title": title(message),
        "content": addressed("\n\n".join(p for p in body if p), in_group=in_group),
        "status": "pending" if message.buttons else "closed",
    }
    buttons = message.buttons[:CARD_BUTTONS]
    for index in range(1, CARD_BUTTONS + 1):
        button = buttons[index - 1] if index <= len(buttons) else None
        params[f"btn{index}_label"] = plain(button.label, message) if button else ""
        params[f"btn{index}_action"] = button.action if button else ""
        params[f"btn{index}_value"] = button.value if button else ""
        params[f"btn{index}_style"] = (button.style or "default") if button else ""
    return params


def card_mentions(message: Message) -> dict[str, str]:
    """``imGroupOpenDeliverModel.atUserIds``: userId → name of the people the card names."""
    return {
        account: mention.name
        for mention in message.mentions
        if (account := mention.accounts.get(PLATFORM)) and is_user_id(account)
    }


def title(message: Message) -> str:
    """The conversation-list preview: the header, else the first line."""
    header = next((b for b in message.blocks if isinstance(b, Header)), None)
    first = header.text if header else message.plain_text().strip().split("\n")[0]
    return _trim(plain(first, message), TITLE_LIMIT) or "Concord"


def message_locale(message: Message, default: str) -> str:
    """The message's own language (the core already wrote it in the chat's locale)."""
    text = message.plain_text()
    if _CJK.search(text):
        return "zh-CN"
    return "en" if re.search(r"[A-Za-z]", text) else default


def markdown(text: str, message: Message, at: dict[str, None]) -> str:
    """Neutral markup → DingTalk markdown (``**bold**`` is the same in both)."""

    def mention(match: re.Match[str]) -> str:
        found = message.mention(int(match.group(1)))
        if found is None:
            return "@?"
        account = found.accounts.get(PLATFORM)
        if account and is_user_id(account):
            at[account] = None
            return f"@{account}"
        return "@" + found.name

    text = MENTION_RE.sub(mention, text)
    text = WHEN_RE.sub(lambda m: m.group(3), text)
    return text.replace("\n", LINE_BREAK)


def plain(text: str, message: Message) -> str:
    """Neutral markup → plain text (titles, button labels): names instead of mentions."""
    return message.plain(text)


def _block(block: Block, message: Message, at: dict[str, None]) -> str:
    if isinstance(block, Header):
        return "### " + plain(block.text, message).replace("\n", " ")
    if isinstance(block, Section):
        return markdown(block.text, message, at)
    if isinstance(block, Fields):
        return LINE_BREAK.join(
            f"**{label}**：{markdown(value, message, at)}" for label, value in block.items
        )
    if isinstance(block, Context):
        lines = [markdown(line, message, at) for line in block.text.split("\n")]
        return "> " + (LINE_BREAK + "> ").join(lines)
    assert isinstance(block, Divider)
    return "---"


def _is_buttons(block: Block) -> bool:
    return isinstance(block, Actions)


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _trim_bytes(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[: limit - 3].decode("utf-8", errors="ignore")
    return cut + "…"

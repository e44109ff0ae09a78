"""The platform-neutral message model: what adapters turn events into and replies out of.

Text is a tiny markup that every adapter translates: ``**bold**``, inline mentions written
``<@m:ID>`` where ID is a member id listed in ``Message.mentions``, and instants written
``<t:EPOCH:STYLE|fallback>`` (STYLE ``date``/``time``/``datetime``) that a platform able to
show each reader their own time zone renders natively (Slack's ``<!date^…>``); everywhere
else the fallback text, already formatted for the chat, is shown (``plain_text`` does this).
Frozen dataclasses only; the core never reads a raw platform payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

MENTION_RE = re.compile(r"<@m:(\d+)>")
WHEN_RE = re.compile(r"<t:(\d+):(date|time|datetime)\|([^>|]*)>")


@dataclass(frozen=True, slots=True)
class Mention:
    """A person referenced in outgoing text, with their account on each platform."""

    member_id: int
    name: str
    accounts: Mapping[str, str] = field(default_factory=dict)

    def markup(self) -> str:
        return f"<@m:{self.member_id}>"


@dataclass(frozen=True, slots=True)
class Header:
    text: str


@dataclass(frozen=True, slots=True)
class Section:
    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Context:
    """A small, secondary line (timestamps, hints)."""

    text: str


@dataclass(frozen=True, slots=True)
class Divider:
    pass


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str  # e.g. "approval.approve"
    value: str  # e.g. "step:12"
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True, slots=True)
class Actions:
    buttons: tuple[Button, ...]


Block = Header | Section | Fields | Context | Divider | Actions
_BLOCK_TYPES: dict[str, type[Any]] = {
    cls.__name__.lower(): cls for cls in (Header, Section, Fields, Context, Divider, Actions)
}


@dataclass(frozen=True, slots=True)
class Message:
    """A neutral message. ``card_key`` names a card that may later be updated in place."""

    blocks: tuple[Block, ...]
    mentions: tuple[Mention, ...] = ()
    card_key: str | None = None

    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(
            b for block in self.blocks if isinstance(block, Actions) for b in block.buttons
        )

    def mention(self, member_id: int) -> Mention | None:
        return next((m for m in self.mentions if m.member_id == member_id), None)

    def plain_text(self, mention_prefix: str = "@") -> str:
        """A readable plain-text rendering (fallback text, console, tests)."""
        lines: list[str] = []
        for block in self.blocks:
            lines.extend(_plain_lines(block))
        return self.plain("\n".join(lines), mention_prefix)

    def plain(self, text: str, mention_prefix: str = "@") -> str:
        """This message's markup in ``text`` as plain text: names instead of mentions, the
        fallback of each instant, no bold (headers, button labels, notifications)."""
        names = {m.member_id: m.name for m in self.mentions}
        text = MENTION_RE.sub(lambda m: mention_prefix + names.get(int(m.group(1)), "?"), text)
        text = WHEN_RE.sub(lambda m: m.group(3), text)
        return text.replace("**", "")

    def to_json(self) -> str:
        return json.dumps(
            {
                "blocks": [{"type": type(b).__name__.lower(), **asdict(b)} for b in self.blocks],
                "mentions": [asdict(m) for m in self.mentions],
                "card_key": self.card_key,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> Message:
        data = json.loads(raw)
        return cls(
            blocks=tuple(_block_from_dict(b) for b in data["blocks"]),
            mentions=tuple(
                Mention(m["member_id"], m["name"], m.get("accounts", {}))
                for m in data.get("mentions", [])
            ),
            card_key=data.get("card_key"),
        )


def _plain_lines(block: Block) -> list[str]:
    if isinstance(block, Header | Section | Context):
        return [block.text]
    if isinstance(block, Fields):
        return [f"{label}: {value}" for label, value in block.items]
    if isinstance(block, Actions):
        return ["  ".join(f"[{i}] {b.label}" for i, b in enumerate(block.buttons, 1))]
    return ["—" * 3]


def _block_from_dict(data: dict[str, Any]) -> Block:
    kind = _BLOCK_TYPES[data.pop("type")]
    if kind is Fields:
        return Fields(tuple((label, value) for label, value in data["items"]))
    if kind is Actions:
        return Actions(tuple(Button(**b) for b in data["buttons"]))
    block: Block = kind(**data)
    return block


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: a chat on a platform, or a member's direct messages."""

    platform: str
    chat_id: str  # platform chat id; for a DM whose chat is unknown, the member's account id
    is_direct: bool = False
    member_id: int | None = None
    name: str | None = None  # for display (console's ``[to …]``)
    thread_id: str | None = None  # reply inside this thread of the chat, where supported
    # Stable per outbox row (``outbox:<id>``): adapters pass it where the platform
    # de-duplicates sends (Feishu ``uuid``, DingTalk ``outTrackId``), closing the crash window.
    idempotency_key: str | None = None


Delivery = Literal["send", "update", "ephemeral"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to deliver. ``target=None`` means the chat the command came from."""

    message: Message
    target: Target | None = None
    kind: Delivery = "send"
    # ephemeral: the member who alone sees it
    member_id: int | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message to the bot. Mentions in ``text`` are neutral ``<@external_id>`` tokens."""

    platform: str
    chat_id: str
    sender_id: str
    text: str
    sender_name: str | None = None
    chat_name: str | None = None
    is_direct: bool = False
    mentions: Mapping[str, str] = field(default_factory=dict)  # external id -> display name
    event_id: str | None = None
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """A button press on one of Concord's messages."""

    platform: str
    chat_id: str
    sender_id: str
    action: str
    value: str
    sender_name: str | None = None
    chat_name: str | None = None
    is_direct: bool = False
    event_id: str | None = None
    message_id: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)  # form fields, e.g. a reason
    thread_id: str | None = None  # public answers go to this thread (the item's)
    card_thread_id: str | None = None  # the thread the clicked card is in: private answers


# What an adapter hands the inbox: a message or command, or a click on a card.
InboundEvent = IncomingMessage | ActionEvent

"""Building neutral messages: a small builder that collects blocks and mentions.

Words come from the locale catalogs (``ctx.t``); this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from bot.dates.clock import to_aware_utc
from bot.text.messages import (
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Mention,
    Message,
    Section,
)

WhenStyle = Literal["date", "time", "datetime"]


class MessageBuilder:
    def __init__(self, card_key: str | None = None) -> None:
        self._blocks: list[Block] = []
        self._mentions: dict[int, Mention] = {}
        self.card_key = card_key

    def mention(self, member_id: int | None, name: str | None) -> str:
        """Markup for an @-mention of a member (``—`` when nobody)."""
        if member_id is None:
            return "—"
        self._mentions.setdefault(member_id, Mention(member_id, name or "?"))
        return f"<@m:{member_id}>"

    @staticmethod
    def when(instant: datetime, fallback: str, style: WhenStyle = "datetime") -> str:
        """Markup for an instant: ``fallback`` is the text formatted for the chat's zone;
        platforms that can show each reader their own zone (Slack) use the instant."""
        clean = fallback.replace(">", "").replace("|", "/")
        return f"<t:{int(to_aware_utc(instant).timestamp())}:{style}|{clean}>"

    def header(self, text: str) -> MessageBuilder:
        self._blocks.append(Header(text))
        return self

    def section(self, text: str) -> MessageBuilder:
        if text.strip():
            self._blocks.append(Section(text))
        return self

    def lines(self, lines: Iterable[str]) -> MessageBuilder:
        return self.section("\n".join(lines))

    def fields(self, items: Iterable[tuple[str, str]]) -> MessageBuilder:
        items = tuple(items)
        if items:
            self._blocks.append(Fields(items))
        return self

    def context(self, text: str) -> MessageBuilder:
        self._blocks.append(Context(text))
        return self

    def divider(self) -> MessageBuilder:
        self._blocks.append(Divider())
        return self

    def buttons(
        self, *buttons: tuple[str, str, str, Literal["primary", "danger"] | None]
    ) -> MessageBuilder:
        self._blocks.append(Actions(tuple(Button(*b) for b in buttons)))
        return self

    @property
    def empty(self) -> bool:
        return not self._blocks

    def build(self) -> Message:
        return Message(tuple(self._blocks), tuple(self._mentions.values()), self.card_key)


def text_message(text: str) -> Message:
    return Message((Section(text),))

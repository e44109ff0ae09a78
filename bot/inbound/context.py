"""The one typed object a command handler receives: who, where, when, and the unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import Clock, to_utc
from bot.dates.workdays import WorkCalendar
from bot.settings import Settings
from bot.text.i18n import Translator
from bot.text.messages import Message, Outgoing, Target
from bot.text.render import MessageBuilder
from storage.audit import queries as audit
from storage.rows import id_of
from storage.tables import Chat, Member, Project


@dataclass
class Context:
    session: AsyncSession
    settings: Settings
    clock: Clock
    calendar: WorkCalendar
    platform: str
    actor: Member
    chat: Chat
    project: Project | None
    locale: str
    tz: ZoneInfo
    mentions: Mapping[str, str] = field(default_factory=dict)  # external id → display name
    sender_id: str = ""  # the speaker's account on ``platform``
    outgoing: list[Outgoing] = field(default_factory=list)
    # Set by the router from the verb (``my``, ``help``): chat answers go to the speaker only.
    private: bool = False

    @property
    def t(self) -> Translator:
        return Translator(self.locale)

    @property
    def actor_id(self) -> int:
        return id_of(self.actor)

    def now(self) -> datetime:
        return self.clock.now()

    def now_utc(self) -> datetime:
        return to_utc(self.clock.now())

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.tz)

    def today(self) -> date:
        return self.local_now().date()

    def message(self, card_key: str | None = None) -> MessageBuilder:
        return MessageBuilder(card_key)

    def reply(self, message: Message | MessageBuilder) -> None:
        """Answer in the chat the command came from (only the speaker, for a private verb)."""
        if self.private:
            self.reply_private(message)
            return
        self.outgoing.append(Outgoing(_built(message)))

    def reply_private(self, message: Message | MessageBuilder) -> None:
        """Answer only the actor (ephemeral where the platform supports it)."""
        self.outgoing.append(Outgoing(_built(message), kind="ephemeral", member_id=self.actor.id))

    def send(self, target: Target, message: Message | MessageBuilder) -> None:
        """A message to another chat or a person; it goes through the outbox."""
        self.outgoing.append(Outgoing(_built(message), target=target))

    def update_card(self, message: Message | MessageBuilder, target: Target | None = None) -> None:
        """Edit a card posted earlier (matched by ``card_key``): its copy in ``target``, or
        every copy wherever it was posted."""
        built = _built(message)
        assert built.card_key, "an updatable card needs a card_key"
        self.outgoing.append(Outgoing(built, target=target, kind="update"))

    def audit(self, action: str, entity: str, entity_id: int | None, **detail: Any) -> None:
        audit.record(
            self.session,
            at=self.now_utc(),
            actor_id=self.actor.id,
            platform=self.platform,
            project_id=self.project.id if self.project else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            **detail,
        )


def _built(message: Message | MessageBuilder) -> Message:
    return message.build() if isinstance(message, MessageBuilder) else message

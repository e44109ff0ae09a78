"""From a stored inbound event to queued replies: the single translation point.

``Dispatcher.run`` works inside the caller's transaction (the inbox worker's, which also marks
the event processed): resolve who and where, run the command in a savepoint, write every
message it produced into the outbox. A ``UserError`` rolls the savepoint back and becomes a
short private reply; anything else becomes "something went wrong (ref …)", logged with the
same reference. A database that went away is not the command's fault: that error is raised
to the caller, which keeps the event for later.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import Clock, to_utc
from bot.dates.workdays import make_calendar
from bot.errors import UsageError, UserError
from bot.inbound.context import Context
from bot.inbound.replies import (
    Origin,
    attach_file,
    enqueue_answer,
    fill_accounts,
    is_answer,
    queue,
    shown_here,
)
from bot.settings import Settings
from bot.text.i18n import has, normalize_locale, t
from bot.text.messages import ActionEvent, InboundEvent, IncomingMessage, Message, Outgoing, Section
from storage.db import SessionFactory, is_unavailable, transaction
from storage.people import links
from storage.people import queries as people
from storage.rows import saved_id
from storage.tables import Chat, Member, Project

logger = logging.getLogger("concord.dispatch")


class Router(Protocol):
    async def run_text(self, ctx: Context, text: str) -> None: ...

    async def run_action(
        self, ctx: Context, action: str, value: str, inputs: dict[str, str]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What running an event produced: every reply is in the outbox already; ``answer`` is
    what it said back to its own chat (for adapters that answer inside the request)."""

    answer: tuple[Outgoing, ...]
    outbox_ids: tuple[int, ...]
    failed: str | None = None  # the error reference when the command raised
    # Card edits (queued for every copy of the card): an adapter may show the clicker the
    # new card in its answer at once; the outbox still edits every copy.
    updates: tuple[Outgoing, ...] = ()


class Dispatcher:
    def __init__(
        self, *, router: Router, sessions: SessionFactory, settings: Settings, clock: Clock
    ) -> None:
        self.router = router
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.calendar = make_calendar(settings.calendar)

    async def handle_message(self, message: IncomingMessage) -> list[Outgoing]:
        """Run a message in its own transaction, without the inbox (tests, tools)."""
        return await self._handle(message)

    async def handle_action(self, event: ActionEvent) -> list[Outgoing]:
        """Run a button press in its own transaction, without the inbox (tests, tools)."""
        return await self._handle(event)

    async def _handle(self, event: InboundEvent) -> list[Outgoing]:
        async with transaction(self.sessions) as session:
            outcome = await self.run(session, event)
        return list(outcome.answer)

    async def run(
        self,
        session: AsyncSession,
        event: InboundEvent,
        *,
        hold_answer_until: datetime | None = None,
    ) -> Outcome:
        """Run ``event`` in ``session`` and queue everything it says.

        ``hold_answer_until`` keeps the answer's outbox rows back until then, so an adapter
        that puts the answer in its HTTP response can mark them delivered first."""
        origin = Origin.of(event)
        locale = self.settings.platform_locale(event.platform)
        try:
            async with session.begin_nested():
                ctx = await self._context(session, event)
                locale = ctx.locale
                if isinstance(event, ActionEvent):
                    await self.router.run_action(ctx, event.action, event.value, dict(event.inputs))
                else:
                    await self.router.run_text(ctx, event.text)
                filled = await fill_accounts(session, ctx.outgoing, ctx.locale)
                return await self._queue_all(session, ctx, origin, filled, hold_answer_until)
        except UserError as error:
            logger.info(
                "refused %s/%s from %s: %s %s",
                event.platform,
                event.chat_id,
                event.sender_id,
                error.key,
                error.params,
            )
            text = render_error(locale, error)
            return await self._answer_privately(session, event, origin, text, hold_answer_until)
        except Exception as error:
            if is_unavailable(error):
                raise
            ref = secrets.token_hex(3)
            logger.exception("command failed (ref %s) in %s/%s", ref, event.platform, event.chat_id)
            text = t(locale, "error.internal", ref=ref)
            outcome = await self._answer_privately(session, event, origin, text, hold_answer_until)
            return replace(outcome, failed=ref)

    def _now(self) -> datetime:
        return to_utc(self.clock.now())

    async def _context(self, session: AsyncSession, event: InboundEvent) -> Context:
        now = self._now()
        actor, _ = await people.ensure_member(
            session,
            platform=event.platform,
            external_id=event.sender_id,
            name=event.sender_name,
            now=now,
        )
        chat = await people.ensure_chat(
            session,
            platform=event.platform,
            external_id=event.chat_id,
            name=event.chat_name,
            is_direct=event.is_direct,
            now=now,
        )
        await links.note_speaker(
            session,
            member=actor,
            platform=event.platform,
            chat_id=None if chat.is_direct else chat.id,
            now=now,
        )
        project = await session.get(Project, chat.project_id) if chat.project_id else None
        mentions = dict(event.mentions) if isinstance(event, IncomingMessage) else {}
        return Context(
            session=session,
            settings=self.settings,
            clock=self.clock,
            calendar=self.calendar,
            platform=event.platform,
            actor=actor,
            chat=chat,
            project=project,
            locale=self.locale_for(event.platform, actor, chat),
            tz=self.timezone_for(actor, chat),
            mentions=mentions,
            sender_id=event.sender_id,
        )

    def locale_for(self, platform: str, member: Member | None, chat: Chat | None) -> str:
        for candidate in (member.locale if member else None, chat.locale if chat else None):
            locale = normalize_locale(candidate)
            if locale:
                return locale
        return self.settings.platform_locale(platform)

    def timezone_for(self, member: Member | None, chat: Chat | None) -> ZoneInfo:
        for candidate in (member.timezone if member else None, chat.timezone if chat else None):
            if candidate:
                return ZoneInfo(candidate)
        return ZoneInfo(self.settings.timezone)

    async def _queue_all(
        self,
        session: AsyncSession,
        ctx: Context,
        origin: Origin,
        items: Sequence[Outgoing],
        hold_until: datetime | None,
    ) -> Outcome:
        """Answers to the chat first (they were shown first when adapters printed them
        directly), then cards, notices and DMs, in the order the command wrote them."""
        now = ctx.now_utc()
        answer = [i for i in items if is_answer(i)]
        ids: list[int] = []
        for item in answer:
            row = enqueue_answer(session, origin, item, now=now, hold_until=hold_until)
            await attach_file(session, row, item.message)
            ids.append(await saved_id(session, row))
        for item in items:
            if not is_answer(item):
                await queue(session, ctx, item, now)
        return Outcome(tuple(answer), tuple(ids), updates=shown_here(items, origin))

    async def _answer_privately(
        self,
        session: AsyncSession,
        event: InboundEvent,
        origin: Origin,
        text: str,
        hold_until: datetime | None,
    ) -> Outcome:
        # Addressed by account: a refused first command must not leave a member behind.
        reply = Outgoing(Message((Section(text),)), kind="ephemeral")
        row = enqueue_answer(
            session, origin, reply, now=self._now(), hold_until=hold_until, account=event.sender_id
        )
        return Outcome((reply,), (await saved_id(session, row),))


def usage_key(usage: str) -> str:
    """``task.add`` → ``usage.task.add``; a family's own usage ``task`` → ``usage.task.main``."""
    return f"usage.{usage}" if "." in usage else f"usage.{usage}.main"


def render_error(locale: str, error: UserError) -> str:
    text = t(locale, error.key, **error.params)
    if isinstance(error, UsageError) and error.usage and has(locale, usage_key(error.usage)):
        text += "\n" + t(locale, "error.usage_line", usage=t(locale, usage_key(error.usage)))
    return text

"""From an inbound message or button press to replies: the single translation point.

One transaction per event: resolve who and where, run the command, write every message that
is not an immediate answer into the outbox, commit. A ``UserError`` rolls back and becomes a
short private reply; anything else becomes "something went wrong (ref …)", logged with the
same reference. Events carrying an id run once (platform retries are dropped).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, to_utc
from bot.context import Context
from bot.errors import UsageError, UserError
from bot.i18n import has, normalize_locale, t
from bot.messages import ActionEvent, IncomingMessage, Message, Outgoing, Section
from bot.settings import Settings
from bot.targets import with_accounts
from bot.workdays import make_calendar
from storage import outbox, people
from storage.db import SessionFactory, transaction
from storage.tables import Chat, Member, Project

logger = logging.getLogger("concord.dispatch")


class Router(Protocol):
    async def run_text(self, ctx: Context, text: str) -> None: ...

    async def run_action(
        self, ctx: Context, action: str, value: str, inputs: dict[str, str]
    ) -> None: ...


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
        """Run a command; return the immediate replies for ``message``'s chat."""

        async def body(ctx: Context) -> None:
            await self.router.run_text(ctx, message.text)

        return await self._run(
            message.platform,
            message.chat_id,
            message.chat_name,
            message.is_direct,
            message.sender_id,
            message.sender_name,
            message.event_id,
            dict(message.mentions),
            body,
        )

    async def handle_action(self, event: ActionEvent) -> list[Outgoing]:
        """Run a button press; return the immediate replies for the presser."""

        async def body(ctx: Context) -> None:
            await self.router.run_action(ctx, event.action, event.value, dict(event.inputs))

        return await self._run(
            event.platform,
            event.chat_id,
            event.chat_name,
            event.is_direct,
            event.sender_id,
            event.sender_name,
            event.event_id,
            {},
            body,
        )

    async def _run(
        self,
        platform: str,
        chat_id: str,
        chat_name: str | None,
        is_direct: bool,
        sender_id: str,
        sender_name: str | None,
        event_id: str | None,
        mentions: dict[str, str],
        body: Callable[[Context], Awaitable[None]],
    ) -> list[Outgoing]:
        locale = self.settings.platform_locale(platform)
        try:
            async with transaction(self.sessions) as session:
                if event_id and not await outbox.mark_event(
                    session, platform=platform, event_id=event_id, now=self._now()
                ):
                    logger.info("dropping duplicate event %s/%s", platform, event_id)
                    return []
                ctx = await self._context(
                    session,
                    platform,
                    chat_id,
                    chat_name,
                    is_direct,
                    sender_id,
                    sender_name,
                    mentions,
                )
                locale = ctx.locale
                await body(ctx)
                return await self._finish(ctx)
        except UserError as error:
            logger.info(
                "refused %s/%s from %s: %s %s",
                platform,
                chat_id,
                sender_id,
                error.key,
                error.params,
            )
            await self._remember_event(platform, event_id)
            return [Outgoing(Message((Section(render_error(locale, error)),)), kind="ephemeral")]
        except Exception:
            ref = secrets.token_hex(3)
            logger.exception("command failed (ref %s) in %s/%s", ref, platform, chat_id)
            return [
                Outgoing(
                    Message((Section(t(locale, "error.internal", ref=ref)),)), kind="ephemeral"
                )
            ]

    def _now(self) -> datetime:
        return to_utc(self.clock.now())

    async def _remember_event(self, platform: str, event_id: str | None) -> None:
        if not event_id:
            return
        async with transaction(self.sessions) as session:
            await outbox.mark_event(session, platform=platform, event_id=event_id, now=self._now())

    async def _context(
        self,
        session: AsyncSession,
        platform: str,
        chat_id: str,
        chat_name: str | None,
        is_direct: bool,
        sender_id: str,
        sender_name: str | None,
        mentions: dict[str, str],
    ) -> Context:
        now = self._now()
        actor, _ = await people.ensure_member(
            session, platform=platform, external_id=sender_id, name=sender_name, now=now
        )
        chat = await people.ensure_chat(
            session,
            platform=platform,
            external_id=chat_id,
            name=chat_name,
            is_direct=is_direct,
            now=now,
        )
        project = await session.get(Project, chat.project_id) if chat.project_id else None
        return Context(
            session=session,
            settings=self.settings,
            clock=self.clock,
            calendar=self.calendar,
            platform=platform,
            actor=actor,
            chat=chat,
            project=project,
            locale=self.locale_for(platform, actor, chat),
            tz=self.timezone_for(actor, chat),
            mentions=mentions,
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

    async def _finish(self, ctx: Context) -> list[Outgoing]:
        """Fill in mention accounts, queue what is not an immediate answer, return the rest."""
        filled = await fill_accounts(ctx.session, ctx.outgoing)
        immediate: list[Outgoing] = []
        now = ctx.now_utc()
        for item in filled:
            if item.target is None and item.kind != "update" and item.message.card_key is None:
                immediate.append(item)
            else:
                await queue(ctx.session, ctx, item, now)
        return immediate


async def queue(session: AsyncSession, ctx: Context, item: Outgoing, now: datetime) -> None:
    payload = item.message.to_json()
    if item.kind == "update":
        assert item.message.card_key is not None
        for platform, chat_id, direct in await outbox.card_places(session, item.message.card_key):
            outbox.enqueue(
                session,
                platform=platform,
                chat_external_id=chat_id,
                payload=payload,
                now=now,
                kind="update",
                is_direct=direct,
                card_key=item.message.card_key,
            )
        return
    target = item.target
    platform = target.platform if target else ctx.platform
    chat_id = target.chat_id if target else ctx.chat.external_id
    outbox.enqueue(
        session,
        platform=platform,
        chat_external_id=chat_id,
        payload=payload,
        now=now,
        kind=item.kind,
        is_direct=target.is_direct if target else ctx.chat.is_direct,
        member_id=item.member_id or (target.member_id if target else None),
        card_key=item.message.card_key,
        thread_id=target.thread_id if target else None,
    )


async def fill_accounts(session: AsyncSession, items: Sequence[Outgoing]) -> list[Outgoing]:
    """Give every mention its platform accounts."""
    return [replace(item, message=await with_accounts(session, item.message)) for item in items]


def usage_key(usage: str) -> str:
    """``task.add`` → ``usage.task.add``; a family's own usage ``task`` → ``usage.task.main``."""
    return f"usage.{usage}" if "." in usage else f"usage.{usage}.main"


def render_error(locale: str, error: UserError) -> str:
    text = t(locale, error.key, **error.params)
    if isinstance(error, UsageError) and error.usage and has(locale, usage_key(error.usage)):
        text += "\n" + t(locale, "error.usage_line", usage=t(locale, usage_key(error.usage)))
    return text

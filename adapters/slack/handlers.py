"""Bolt listeners: acknowledge at once, then do the work in a tracked background task.

Slack wants an answer within 3 seconds. Every listener calls ``ack()`` first (a modal
submission may ack with field errors) and hands the rest — profile lookups, the command
itself, queueing its replies in the outbox and delivering them — to a task kept in
``self.tasks`` (so it is not garbage-collected and shutdown can wait for it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import inbound, modals
from adapters.slack.identity import Directory
from adapters.slack.outbound import PLATFORM
from bot.clock import to_utc
from bot.main import App
from bot.messages import IncomingMessage, Outgoing
from bot.replies import Origin, queue_replies

logger = logging.getLogger("concord.slack")
JSON = dict[str, Any]
# Personal answers to a slash command are shown to the caller only (Slack's "ephemeral").
PRIVATE_COMMANDS = frozenset({"", "my", "我的", "help", "帮助"})


class Handlers:
    def __init__(self, app: App, client: AsyncWebClient, directory: Directory) -> None:
        self.app = app
        self.client = client
        self.directory = directory
        self.tasks: set[asyncio.Task[None]] = set()
        # Slack delivers requests concurrently; commands run one at a time (they are short
        # transactions) so two of them never race for the same new row or item number.
        self._commands = asyncio.Lock()

    # --- bolt listeners (bolt passes arguments by parameter name) ---

    async def on_command(self, ack: AsyncAck, body: JSON, context: AsyncBoltContext) -> None:
        await ack()
        found = modals.form_for(body.get("text") or "")
        if found is not None and body.get("trigger_id"):
            self.spawn(self._open_form(body, *found, context.bot_user_id))
        else:
            self.spawn(self._command(body, context.bot_user_id))

    async def on_event(self, ack: AsyncAck, event: JSON, context: AsyncBoltContext) -> None:
        await ack()
        if inbound.wants_event(event):
            self.spawn(self._event(event, context.bot_user_id))

    async def on_action(self, ack: AsyncAck, body: JSON) -> None:
        await ack()  # an empty ack leaves the message as it is; updates come from the outbox
        self.spawn(self._action(body))

    async def on_view(self, ack: AsyncAck, body: JSON, view: JSON) -> None:
        form = modals.FORMS.get(
            str(view.get("callback_id", "")).removeprefix(modals.CALLBACK_PREFIX)
        )
        meta = modals.metadata(view)
        values = inbound.form_values(view.get("state") or {})
        errors = modals.validate(form, values, meta.get("locale", "en")) if form else {}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if form is not None:
            self.spawn(self._submit(form, values, meta, body, str(view.get("id", ""))))

    # --- background work ---

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guarded(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def idle(self) -> None:
        """Wait until every background task (and the tasks they started) has finished."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            # The dispatcher already answers command failures; this is adapter trouble.
            logger.exception("Slack background work failed")

    async def _command(self, body: JSON, bot_user_id: str | None) -> None:
        raw = body.get("text") or ""
        accounts = [str(body["user_id"]), *inbound.mentioned_users(raw, bot_user_id=bot_user_id)]
        names = await self.directory.refresh(accounts)
        incoming = inbound.from_command(body, names=names, bot_user_id=bot_user_id)
        words = incoming.text.lstrip("/／").split()
        private = (words[0].lower() if words else "") in PRIVATE_COMMANDS
        await self._run(incoming, private=private)

    async def _event(self, event: JSON, bot_user_id: str | None) -> None:
        raw = event.get("text") or ""
        accounts = [str(event["user"]), *inbound.mentioned_users(raw, bot_user_id=bot_user_id)]
        names = await self.directory.refresh(accounts)
        await self._run(inbound.from_event(event, names=names, bot_user_id=bot_user_id))

    async def _run(self, incoming: IncomingMessage, *, private: bool = False) -> None:
        origin = Origin(
            PLATFORM, incoming.chat_id, incoming.sender_id, incoming.is_direct, incoming.thread_id
        )
        async with self._commands:
            replies = await self.app.dispatcher.handle_message(incoming)
            await self._queue(origin, replies, private=private)
        await self.app.deliver()

    async def _action(self, body: JSON) -> None:
        names = await self.directory.refresh([str(body["user"]["id"])])
        event = inbound.from_action(body, names=names)
        if event is None:
            return
        # Private answers appear where the card is; public ones go to the card's thread.
        card_thread = (body.get("container") or {}).get("thread_ts")
        here = Origin(PLATFORM, event.chat_id, event.sender_id, event.is_direct, card_thread)
        item = replace(here, thread_id=card_thread or event.message_id)
        async with self._commands:
            replies = await self.app.dispatcher.handle_action(event)
            await self._queue(here, [r for r in replies if r.kind == "ephemeral"])
            await self._queue(item, [r for r in replies if r.kind != "ephemeral"])
        await self.app.deliver()

    async def _queue(
        self, origin: Origin, replies: Sequence[Outgoing], *, private: bool = False
    ) -> None:
        """Put the immediate replies in the outbox; ``deliver`` then sends them together
        with what the command queued itself (cards, notices, DMs)."""
        now = to_utc(self.app.clock.now())
        await queue_replies(self.app.sessions, origin, replies, now=now, private=private)

    async def _open_form(
        self, body: JSON, form: modals.Form, locale: str, bot_user_id: str | None
    ) -> None:
        channel = str(body["channel_id"])
        direct = inbound.is_direct_channel(channel, body.get("channel_name"))
        view = modals.build_view(form, locale, channel=channel, is_direct=direct)
        try:
            await self.client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as error:
            # No modal (expired trigger, missing scope): answer the command as typed instead.
            logger.warning("views.open failed: %s", error.response.get("error"))
            await self._command(body, bot_user_id)

    async def _submit(
        self, form: modals.Form, values: Mapping[str, str], meta: JSON, body: JSON, view_id: str
    ) -> None:
        user = str(body["user"]["id"])
        names = await self.directory.refresh([user])
        channel = str(meta.get("channel") or user)
        incoming = IncomingMessage(
            platform=PLATFORM,
            chat_id=channel,
            sender_id=user,
            text=modals.command_line(form, values),
            sender_name=names.get(user),
            is_direct=bool(meta.get("direct")) or channel == user,
            event_id=f"view:{view_id}" if view_id else None,
        )
        await self._run(incoming)

"""Bolt listeners: store the event in the inbox, then acknowledge.

Slack wants an answer within 3 seconds and retries what it thinks was lost, so every
listener hands its neutral event to ``Host.inbox`` (one insert) and acks only once it is
stored. If the store is unreachable, a slash command is answered with a short "try again"
note and an event is refused (5xx) so Slack retries it. Opening a form (``views.open``)
is the only work done outside the inbox: it must use the trigger within 3 seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import Host
from adapters.slack import inbound, modals
from adapters.slack.identity import Directory
from adapters.slack.settings import SlackSettings
from bot.inbound.inbox import InboundEvent, InboxClosed, StoreUnavailable
from bot.text.i18n import t

logger = logging.getLogger("concord.slack")
JSON = dict[str, Any]


class Handlers:
    def __init__(
        self, host: Host, settings: SlackSettings, client: AsyncWebClient, directory: Directory
    ) -> None:
        self.inbox = host.inbox
        self.locale = settings.locale
        self.client = client
        self.directory = directory
        self.tasks: set[asyncio.Task[None]] = set()

    # --- bolt listeners (bolt passes arguments by parameter name) ---

    async def on_command(self, ack: AsyncAck, body: JSON, context: AsyncBoltContext) -> None:
        found = modals.form_for(body.get("text") or "")
        if found is not None and body.get("trigger_id"):
            await ack()
            self.spawn(self._open_form(body, *found, context.bot_user_id))
            return
        event = inbound.from_command(
            body, names=self.directory.known(), bot_user_id=context.bot_user_id
        )
        try:
            await self.inbox.receive(event)
        except StoreUnavailable as error:
            await ack(text=t(self.locale, _why(error)))
            return
        await ack()

    async def on_event(self, ack: AsyncAck, event: JSON, context: AsyncBoltContext) -> None:
        if inbound.wants_event(event):
            incoming = inbound.from_event(
                event, names=self.directory.known(), bot_user_id=context.bot_user_id
            )
            await self.inbox.receive(incoming)  # StoreUnavailable → 503: Slack retries
        await ack()

    async def on_action(self, ack: AsyncAck, body: JSON) -> None:
        event = inbound.from_action(body, names=self.directory.known())
        if event is not None:
            await self.inbox.receive(event)
        await ack()  # an empty ack leaves the message as it is; updates come from the outbox

    async def on_view(self, ack: AsyncAck, body: JSON, view: JSON) -> None:
        form = modals.FORMS.get(
            str(view.get("callback_id", "")).removeprefix(modals.CALLBACK_PREFIX)
        )
        meta = modals.metadata(view)
        locale = str(meta.get("locale", self.locale))
        values = inbound.form_values(view.get("state") or {})
        errors = modals.validate(form, values, locale) if form else {}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        if form is not None:
            try:
                await self.inbox.receive(inbound.from_view(form, values, meta, body, view))
            except StoreUnavailable as error:
                first = form.fields[0].key
                text = t(locale, _why(error))
                await ack(response_action="errors", errors={first: text})
                return
        await ack()

    async def on_error(self, error: Exception, response: BoltResponse) -> BoltResponse:
        if isinstance(error, StoreUnavailable):
            # Logged once per outage by the inbox; Slack retries a non-2xx answer.
            return BoltResponse(status=503, body="store unavailable, retry")
        logger.error("Slack listener failed: %r", error, exc_info=error)
        return BoltResponse(status=500, body="")

    # --- forms (the one piece of work done outside the inbox) ---

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guarded(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def idle(self) -> None:
        """Wait until every form being opened has been (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except StoreUnavailable:
            logger.warning("a Slack command could not be stored after its form failed to open")
        except Exception:
            logger.exception("Slack background work failed")

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
            event: InboundEvent = inbound.from_command(
                body, names=self.directory.known(), bot_user_id=bot_user_id
            )
            await self.inbox.receive(event)


def _why(error: StoreUnavailable) -> str:
    """What to tell a person whose command could not be stored."""
    return "error.restarting" if isinstance(error, InboxClosed) else "error.store_unavailable"

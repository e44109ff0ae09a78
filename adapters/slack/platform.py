"""``bot.outbound.platform.Platform`` for Slack: chat.postMessage / chat.update / chat.postEphemeral.

Failures become ``PlatformError`` and the outbox worker decides when to retry: a 429 carries
Slack's ``Retry-After``, errors retrying cannot fix (a channel the bot is not in, a revoked
token, invalid blocks) are permanent. The SDK's own rate-limit retry handler stays off so
there is a single backoff mechanism.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.outbound import PLATFORM, render
from bot.outbound.platform import PlatformError
from bot.text.messages import Message, Target

logger = logging.getLogger("concord.slack")

PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "token_revoked",
        "user_not_found",
        "user_not_in_channel",
    }
)
DEFAULT_RETRY_AFTER = 1.0


class SlackPlatform:
    """Delivers neutral messages through the Slack Web API."""

    name = PLATFORM

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._dm_channels: dict[str, str] = {}  # user id → D… channel

    async def send(self, target: Target, message: Message) -> str:
        channel = await self.channel(target)
        response = await call(
            self.client.chat_postMessage(
                channel=channel, thread_ts=target.thread_id, **render(message)
            )
        )
        return str(response["ts"])

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        channel = await self.channel(target)
        await call(self.client.chat_update(channel=channel, ts=message_id, **render(message)))

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        if target.is_direct or is_user(target.chat_id):
            await self.send(target, message)  # a DM is private already
            return
        await call(
            self.client.chat_postEphemeral(
                channel=target.chat_id,
                user=account_id,
                thread_ts=target.thread_id,
                **render(message),
            )
        )

    async def channel(self, target: Target) -> str:
        """The channel to post in; a DM to a user id is opened first (conversations.open).

        The core addresses a person's DM by their user id (``U…``/``W…``), also when it
        edits a card it posted there, so the id decides, not ``target.is_direct``."""
        if not is_user(target.chat_id):
            return target.chat_id
        user = target.chat_id
        if user not in self._dm_channels:
            response = await call(self.client.conversations_open(users=user))
            self._dm_channels[user] = str(response["channel"]["id"])
        return self._dm_channels[user]


def is_user(chat_id: str) -> bool:
    """User ids (``U…``, Enterprise Grid ``W…``) never collide with channel ids (C/G/D)."""
    return chat_id.startswith(("U", "W"))


async def call(request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """Await a Web API call, turning its failures into ``PlatformError``."""
    try:
        return await request
    except SlackApiError as error:
        raise platform_error(error) from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise PlatformError(f"Slack unreachable: {error!r}") from error


def platform_error(error: SlackApiError) -> PlatformError:
    response = error.response
    code = _error_code(response.data)
    if response.status_code == 429:
        return PlatformError(
            f"Slack rate limit ({code or 'ratelimited'})",
            retry_after=retry_after(response.headers),
        )
    detail = f"Slack error {code or response.status_code}"
    return PlatformError(detail, permanent=code in PERMANENT_ERRORS)


def retry_after(headers: Any) -> float:
    """Seconds from a ``Retry-After`` header (Slack sends whole seconds)."""
    try:
        return max(float(headers.get("Retry-After", DEFAULT_RETRY_AFTER)), 0.0)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _error_code(data: Any) -> str | None:
    return str(data.get("error")) if isinstance(data, dict) and data.get("error") else None

"""``bot.outbound.platform.Platform`` for Feishu: im/v1 send, reply-in-thread and card PATCH.

The tenant access token is the SDK's (``TokenManager``: cached per app until ten minutes
before it expires, then fetched again). The SDK fetches it with blocking ``requests``, so it
is fetched in a worker thread and handed to each async call (``enable_set_token``) instead
of letting the SDK block the bot's event loop.

Failures become ``PlatformError`` and the outbox decides when to retry: a rate limit (HTTP
429, or code 99991400 with any status) carries ``x-ogw-ratelimit-reset``; errors retrying
cannot fix (the bot is not in the chat, the person is outside the app's range, a malformed
card) are permanent. The outbox key goes out as the message ``uuid``: Feishu sends a
message with the same uuid only once within an hour, so a crash between "sent" and
"marked sent" cannot post it twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import lark_oapi as lark
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    PatchMessageRequest,
    PatchMessageRequestBody,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
)
from lark_oapi.core.exception import ObtainAccessTokenException
from lark_oapi.core.token import TokenManager

from adapters.feishu.outbound import PLATFORM, card, render
from adapters.feishu.settings import FeishuSettings
from bot.outbound.platform import PlatformError
from bot.text.messages import Message, Target

logger = logging.getLogger("concord.feishu")

RATE_LIMITED = 99991400
# Per-chat (230020) and tenant-wide (11232) send limits: no reset header, back off a little.
SEND_LIMITS = frozenset({230020, 11232})
TOKEN_INVALID = frozenset({99991661, 99991663, 99991664, 99991668})
PERMANENT_CODES = frozenset(
    {
        230001,  # invalid parameters (e.g. an unknown receive id)
        230002,  # the bot is not in the chat
        230006,  # the app has no bot ability
        230011,  # the message was recalled
        230013,  # the person is outside the app's availability range
        230099,  # the card JSON was rejected
        99991672,  # the app lacks the permission (scope)
    }
)
DEFAULT_RETRY_AFTER = 1.0
RESET_HEADER = "x-ogw-ratelimit-reset"
JSONData = dict[str, Any]


def api_client(settings: FeishuSettings) -> lark.Client:
    return (
        lark.Client.builder()
        .app_id(settings.app_id)
        .app_secret(settings.app_secret)
        .domain(settings.domain)
        .enable_set_token(True)
        .log_level(lark.LogLevel.WARNING)
        .build()
    )


class Tokens:
    """The SDK's tenant token, fetched off the event loop."""

    def __init__(self, client: lark.Client) -> None:
        self.client = client

    async def option(self) -> lark.RequestOption:
        try:
            token = await asyncio.to_thread(TokenManager.get_self_tenant_token, self.client.config)
        except ObtainAccessTokenException as error:
            raise PlatformError(f"Feishu refused the tenant token: {error}") from error
        except OSError as error:  # requests' connection errors are OSErrors
            raise PlatformError(f"Feishu unreachable (token): {error!r}") from error
        return lark.RequestOption.builder().tenant_access_token(token).build()

    def forget(self) -> None:
        """Feishu said the token is no longer valid: fetch a new one next time."""
        TokenManager.cache.set(f"self_tenant_token:{self.client.config.app_id}", "", 0)


class FeishuPlatform:
    """Delivers neutral messages through the Feishu OpenAPI."""

    name = PLATFORM

    def __init__(self, client: lark.Client) -> None:
        self.client = client
        self.tokens = Tokens(client)

    async def send(self, target: Target, message: Message) -> str:
        msg_type, content = render(message)
        if target.thread_id:
            reply = (
                ReplyMessageRequest.builder()
                .message_id(target.thread_id)
                .request_body(
                    _with_uuid(
                        ReplyMessageRequestBody.builder()
                        .content(content)
                        .msg_type(msg_type)
                        .reply_in_thread(True),
                        target,
                    ).build()
                )
                .build()
            )
            data = await self.call(lambda option: self.client.im.v1.message.areply(reply, option))
        else:
            create = (
                CreateMessageRequest.builder()
                .receive_id_type(receive_id_type(target.chat_id))
                .request_body(
                    _with_uuid(
                        CreateMessageRequestBody.builder()
                        .receive_id(target.chat_id)
                        .msg_type(msg_type)
                        .content(content),
                        target,
                    ).build()
                )
                .build()
            )
            data = await self.call(lambda option: self.client.im.v1.message.acreate(create, option))
        return str(data.get("message_id") or "")

    async def update(self, target: Target, message_id: str, message: Message) -> None:
        """PATCH the whole card (cards are shared, so everyone sees the new one)."""
        patch = (
            PatchMessageRequest.builder()
            .message_id(message_id)
            .request_body(
                PatchMessageRequestBody.builder()
                .content(json.dumps(card(message), ensure_ascii=False))
                .build()
            )
            .build()
        )
        await self.call(lambda option: self.client.im.v1.message.apatch(patch, option))

    async def send_ephemeral(self, target: Target, account_id: str, message: Message) -> None:
        """Feishu has no "only you can see this" for plain bot messages: a DM is private."""
        if target.is_direct:
            await self.send(target, message)
            return
        direct = Target(
            PLATFORM, account_id, is_direct=True, idempotency_key=target.idempotency_key
        )
        await self.send(direct, message)

    async def bot_open_id(self) -> str:
        """``GET /open-apis/bot/v3/info`` (no typed wrapper in lark-oapi): the bot's open_id."""
        request = lark.BaseRequest.builder().http_method(lark.HttpMethod.GET)
        request = request.uri("/open-apis/bot/v3/info").token_types({lark.AccessTokenType.TENANT})
        response = await self.call(lambda option: self.client.arequest(request.build(), option))
        open_id = response.get("open_id")
        if not open_id:
            raise PlatformError("Feishu bot/v3/info named no open_id")
        return str(open_id)

    async def call(self, request: Callable[[lark.RequestOption], Awaitable[Any]]) -> JSONData:
        """Run one API call with a current token; its ``data`` or a ``PlatformError``."""
        option = await self.tokens.option()
        try:
            response = await request(option)
        except httpx.HTTPError as error:
            raise PlatformError(f"Feishu unreachable: {error!r}") from error
        except ValueError as error:  # the body was not JSON (a proxy's error page)
            raise PlatformError(f"Feishu answered something unreadable: {error}") from error
        return self.check(response)

    def check(self, response: Any) -> JSONData:
        raw = response.raw
        status, code = int(raw.status_code or 0), int(response.code or 0)
        if code in TOKEN_INVALID:
            self.tokens.forget()
        if status != 200 or code != 0:
            raise platform_error(status, code, str(response.msg or ""), raw.headers)
        return _data(raw.content)


def platform_error(status: int, code: int, msg: str, headers: Mapping[str, str]) -> PlatformError:
    if status == 429 or code == RATE_LIMITED:
        return PlatformError(
            f"Feishu rate limit ({code or status})", retry_after=retry_after(headers)
        )
    if code in SEND_LIMITS:
        return PlatformError(f"Feishu send limit ({code})", retry_after=DEFAULT_RETRY_AFTER)
    detail = f"Feishu error {code or status}: {msg}".strip()
    return PlatformError(detail, permanent=code in PERMANENT_CODES)


def receive_id_type(chat_id: str) -> str:
    """The core addresses a person's DM by their open_id (``ou_…``), a chat by ``oc_…``."""
    return "open_id" if chat_id.startswith("ou_") else "chat_id"


def retry_after(headers: Mapping[str, str]) -> float:
    """Seconds from ``x-ogw-ratelimit-reset`` (the SDK hands headers over as a plain dict)."""
    value = next((v for k, v in headers.items() if k.lower() == RESET_HEADER), None)
    try:
        return max(float(value), 0.0) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _with_uuid(builder: Any, target: Target) -> Any:
    # Feishu's uuid is at most 50 characters; the outbox key ("outbox:123") always fits.
    return builder.uuid(target.idempotency_key[:50]) if target.idempotency_key else builder


def _data(content: bytes | None) -> JSONData:
    try:
        body = json.loads(content or b"{}")
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    data = body.get("data", body.get("bot"))  # bot/v3/info answers {"bot": {…}}
    return data if isinstance(data, dict) else {}

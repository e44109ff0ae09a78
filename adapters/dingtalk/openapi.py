"""A small aiohttp client of DingTalk's OpenAPI, with the app access token and error mapping.

New-style APIs (``api_base_url``, ``/v1.0/…``) take ``x-acs-dingtalk-access-token``; the
token comes from ``POST /v1.0/oauth2/accessToken`` and lives ``expireIn`` seconds (7200). It
is cached and fetched again five minutes before it expires (or at once when a call says it
is invalid), one fetch at a time however many sends wait for it.

Errors become ``PlatformError``: the rate limits — HTTP 403 ``Forbidden.AccessDenied.
QpsLimitForAppkeyAndApi`` / ``…QpsLimitForApi`` and old-style errcode 90018 / 90002 — carry
``retry_after`` (DingTalk sends no Retry-After; its guide says wait about a second), the
monthly quota (``ApiCountLimitForOrg`` / 90020) waits an hour, bad parameters and missing
permissions are permanent, anything else (5xx, timeouts) is retried with backoff by the
outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from bot.outbound.platform import PlatformError

logger = logging.getLogger("concord.dingtalk")
JSON = dict[str, Any]

TOKEN_PATH = "/v1.0/oauth2/accessToken"
TOKEN_HEADER = "x-acs-dingtalk-access-token"
REFRESH_MARGIN = 300.0  # seconds before expiry
QPS_RETRY_AFTER = 1.0
QUOTA_RETRY_AFTER = 3600.0
TIMEOUT = aiohttp.ClientTimeout(total=10)
RATE_LIMIT_CODES = frozenset(
    {"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "Forbidden.AccessDenied.QpsLimitForApi"}
)
QUOTA_CODES = frozenset({"Forbidden.AccessDenied.ApiCountLimitForOrg"})
RATE_LIMIT_ERRCODES = frozenset({90018, 90002})
QUOTA_ERRCODES = frozenset({90020})
INVALID_TOKEN_CODES = frozenset(
    {"InvalidAuthentication", "Forbidden.AccessDenied.AccessTokenInvalid"}
)


class TokenRejected(PlatformError):
    """The access token was refused (expired early, app secret reset): fetch a new one."""


class Unreachable(PlatformError):
    """No answer (connection refused, timeout): the request may or may not have arrived."""


class OpenApi:
    def __init__(
        self,
        *,
        base_url: str,
        app_key: str,
        app_secret: str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self._monotonic = monotonic
        self._token: str | None = None
        self._expires_at = 0.0
        self._token_lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._token_lock:
            if self._token is None or self._monotonic() >= self._expires_at - REFRESH_MARGIN:
                body = {"appKey": self.app_key, "appSecret": self.app_secret}
                data = await self._request("POST", TOKEN_PATH, body, headers={})
                token, lifetime = data.get("accessToken"), data.get("expireIn", 7200)
                if not isinstance(token, str) or not token:
                    raise PlatformError("DingTalk gave no access token", permanent=True)
                self._token = token
                self._expires_at = self._monotonic() + float(lifetime)
            return self._token

    def forget_token(self) -> None:
        self._token = None

    async def call(self, verb: str, path: str, body: Mapping[str, Any]) -> JSON:
        """One authenticated new-style API call; the JSON answer, or ``PlatformError``."""
        headers = {TOKEN_HEADER: await self.token()}
        try:
            return await self._request(verb, path, body, headers=headers)
        except TokenRejected:
            self.forget_token()
            raise

    async def post_json(self, url: str, body: Mapping[str, Any]) -> JSON:
        """An unauthenticated POST to a full URL (Stream gateway, sessionWebhook)."""
        return await self._send("POST", url, body, headers={})

    async def _request(
        self, verb: str, path: str, body: Mapping[str, Any], *, headers: Mapping[str, str]
    ) -> JSON:
        return await self._send(verb, self.base_url + path, body, headers=headers)

    async def _send(
        self, verb: str, url: str, body: Mapping[str, Any], *, headers: Mapping[str, str]
    ) -> JSON:
        try:
            # A session per call: nothing is left open when Concord stops, whichever of
            # its parts (intake, delivery) sends last; DingTalk's limits keep calls few.
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as session,
                session.request(verb, url, json=body, headers=headers) as response,
            ):
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Unreachable(f"DingTalk unreachable: {error!r}") from error
        answer: JSON = data if isinstance(data, dict) else {}
        failure = api_error(status, answer)
        if failure is not None:
            raise failure
        return answer


def api_error(status: int, data: Mapping[str, Any]) -> PlatformError | None:
    """The failure an answer describes, or None when it is a success."""
    code = str(data.get("code") or "")
    errcode = data.get("errcode")
    if status < 400 and not code and errcode in (None, 0):
        return None
    detail = f"DingTalk error {code or errcode or status}: {data.get('message') or data.get('errmsg') or ''}".strip()
    if code in RATE_LIMIT_CODES or errcode in RATE_LIMIT_ERRCODES or status == 429:
        return PlatformError(
            f"DingTalk rate limit ({code or errcode})", retry_after=QPS_RETRY_AFTER
        )
    if code in QUOTA_CODES or errcode in QUOTA_ERRCODES:
        return PlatformError(
            f"DingTalk monthly quota ({code or errcode})", retry_after=QUOTA_RETRY_AFTER
        )
    if code in INVALID_TOKEN_CODES or status == 401:
        return TokenRejected(detail)
    permanent = 400 <= status < 500 or (status < 400 and errcode not in (None, 0))
    return PlatformError(detail, permanent=permanent)

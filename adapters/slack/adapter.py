"""The Slack adapter: a bolt ``AsyncApp`` over HTTP (``POST /slack/events``) or Socket Mode.

Wiring only: the Web API client (``[slack] api_base_url``), the bolt app with Concord's
listeners (``handlers``), the platform that delivers the outbox, the people directory, and
the two transports. In HTTP mode the signature is checked here, before bolt parses
anything, so a forged, stale or malformed request gets 401/400 and never a traceback;
Socket Mode is authenticated by the ``xapp-`` token instead.
"""

from __future__ import annotations

import hmac
import logging
import re
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import Host
from adapters.slack.handlers import Handlers
from adapters.slack.identity import Directory
from adapters.slack.modals import CALLBACK_PREFIX
from adapters.slack.outbound import PLATFORM
from adapters.slack.platform import SlackPlatform
from adapters.slack.settings import SlackSettings

EVENTS_PATH = "/slack/events"
MAX_AGE_SECONDS = 300  # Slack's own replay window
logger = logging.getLogger("concord.slack")


class SlackAdapter:
    name = PLATFORM

    def __init__(
        self, host: Host, settings: SlackSettings, *, client: AsyncWebClient | None = None
    ) -> None:
        self.settings = settings
        self.host = host
        self.client = client or web_client(settings)
        self.platform = SlackPlatform(self.client)
        self.people = Directory(self.client, host.profiles, host.clock)
        self.handlers = Handlers(host, settings, self.client, self.people)
        self.bolt = bolt_app(settings, self.client, self.handlers)
        self.verifier = SignatureVerifier(settings.signing_secret)
        self.socket: AsyncSocketModeHandler | None = None
        if settings.mode == "http":
            host.web.router.add_post(EVENTS_PATH, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Events, slash commands and interactivity all arrive here."""
        body = await request.read()
        if not self.signed(request, body):
            return web.Response(status=401, text="invalid signature")
        try:
            bolt_request = await to_bolt_request(request)
        # AttributeError: valid JSON that is not an object (``[1, 2]``, ``payload=[…]``).
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
            logger.warning("malformed Slack request refused: %s", error)
            return web.Response(status=400, text="malformed request")
        response = await self.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    def signed(self, request: web.Request, body: bytes) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not signature:
            return False
        now = time.time()  # Slack's timestamp is wall-clock time, whatever Concord's clock says
        if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        expected = self.verifier.generate_signature(timestamp=timestamp, body=text)
        return expected is not None and _same(expected, signature)

    async def start(self) -> None:
        if self.settings.mode != "socket":
            return
        self.socket = AsyncSocketModeHandler(
            self.bolt, app_token=self.settings.app_token, web_client=self.client
        )
        await self.socket.connect_async()  # type: ignore[no-untyped-call]
        logger.warning("Slack Socket Mode connected")

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()  # type: ignore[no-untyped-call]
            self.socket = None
        await self.handlers.idle()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def web_client(settings: SlackSettings) -> AsyncWebClient:
    # The SDK's default retry handlers only retry connection errors; rate limits are left
    # to the outbox, which honours Retry-After (one backoff mechanism, not two).
    return AsyncWebClient(token=settings.bot_token, base_url=settings.api_base_url)


def bolt_app(settings: SlackSettings, client: AsyncWebClient, handlers: Handlers) -> AsyncApp:
    bolt = AsyncApp(
        name="concord",
        client=client,
        signing_secret=settings.signing_secret,
        # Checked in ``handle_http`` already (before anything is parsed).
        request_verification_enabled=False,
        # Listeners only store the event (a few ms) and ack: answering right after them
        # skips bolt's 10 ms ack polling.
        process_before_response=True,
        logger=logging.getLogger("concord.slack.bolt"),
    )
    bolt.command(settings.command)(handlers.on_command)
    bolt.event("app_mention")(handlers.on_event)
    bolt.event("message")(handlers.on_event)
    bolt.block_action(re.compile(r".+"))(handlers.on_action)
    bolt.view_submission(re.compile("^" + re.escape(CALLBACK_PREFIX)))(handlers.on_view)
    bolt.error(handlers.on_error)
    return bolt


def create(host: Host, settings: SlackSettings) -> SlackAdapter:
    return SlackAdapter(host, settings)

"""The Slack adapter: a bolt ``AsyncApp`` over HTTP (``POST /slack/events``) or Socket Mode.

Wiring only: the Web API client (``[slack] api_base_url``), the bolt app with Concord's
listeners (slash command, ``app_mention`` and DM messages, button clicks, modal
submissions), the platform that delivers the outbox, and the two transports. Signatures
are checked by bolt in HTTP mode (a forged or stale request gets 401); Socket Mode is
authenticated by the ``xapp-`` token instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.handlers import Handlers
from adapters.slack.identity import Directory
from adapters.slack.modals import CALLBACK_PREFIX
from adapters.slack.outbound import PLATFORM
from adapters.slack.platform import SlackPlatform
from bot.main import App
from bot.settings import SlackSettings

EVENTS_PATH = "/slack/events"
logger = logging.getLogger("concord.slack")


class SlackAdapter:
    def __init__(self, app: App, *, client: AsyncWebClient | None = None) -> None:
        self.settings = app.settings.slack
        self.app = app
        self.client = client or web_client(self.settings)
        self.platform = SlackPlatform(self.client)
        self.handlers = Handlers(app, self.client, Directory(self.client, app))
        self.bolt = bolt_app(self.settings, self.client, self.handlers)
        self.socket: AsyncSocketModeHandler | None = None
        app.attach({PLATFORM: self.platform})

    async def handle_http(self, request: web.Request) -> web.Response:
        """Events, slash commands and interactivity all arrive here."""
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(EVENTS_PATH, self.handle_http)

    async def connect_socket(self) -> None:
        self.socket = AsyncSocketModeHandler(
            self.bolt, app_token=self.settings.app_token, web_client=self.client
        )
        await self.socket.connect_async()  # type: ignore[no-untyped-call]
        logger.warning("Slack Socket Mode connected")

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()  # type: ignore[no-untyped-call]
            self.socket = None
        await self.handlers.idle()

    async def idle(self) -> None:
        """Wait for all work started by requests so far (tests, shutdown)."""
        await self.handlers.idle()


def web_client(settings: SlackSettings) -> AsyncWebClient:
    # The SDK's default retry handlers only retry connection errors; rate limits are left
    # to the outbox, which honours Retry-After (one backoff mechanism, not two).
    return AsyncWebClient(token=settings.bot_token, base_url=settings.api_base_url)


def bolt_app(settings: SlackSettings, client: AsyncWebClient, handlers: Handlers) -> AsyncApp:
    bolt = AsyncApp(
        name="concord",
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=settings.mode == "http",
        process_before_response=False,
        logger=logging.getLogger("concord.slack.bolt"),
    )
    bolt.command(settings.command)(handlers.on_command)
    bolt.event("app_mention")(handlers.on_event)
    bolt.event("message")(handlers.on_event)
    bolt.block_action(re.compile(r".+"))(handlers.on_action)
    bolt.view_submission(re.compile("^" + re.escape(CALLBACK_PREFIX)))(handlers.on_view)
    return bolt


ADAPTER_KEY = web.AppKey("slack", SlackAdapter)


async def install(web_app: web.Application, app: App) -> None:
    """Route installer for ``adapters.http``: mount HTTP mode or run Socket Mode."""
    adapter = SlackAdapter(app)
    web_app[ADAPTER_KEY] = adapter
    if adapter.settings.mode == "socket":
        web_app.cleanup_ctx.append(_socket_lifetime)
    else:
        adapter.mount(web_app)
        web_app.on_cleanup.append(_close)


async def _socket_lifetime(web_app: web.Application) -> AsyncIterator[None]:
    adapter = web_app[ADAPTER_KEY]
    await adapter.connect_socket()
    yield
    await adapter.close()


async def _close(web_app: web.Application) -> None:
    await web_app[ADAPTER_KEY].close()

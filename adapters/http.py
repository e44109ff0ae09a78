"""Concord's own aiohttp server: ``/healthz`` plus the routes each enabled adapter mounts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

logger = logging.getLogger("concord.http")
Health = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]
HEALTH_KEY: web.AppKey[Health] = web.AppKey("health")


async def healthz(request: web.Request) -> web.Response:
    healthy, report = await request.app[HEALTH_KEY]()
    return web.json_response(report, status=200 if healthy else 503)


def make_web_app(health: Health) -> web.Application:
    web_app = web.Application()
    web_app[HEALTH_KEY] = health
    web_app.router.add_get("/healthz", healthz)
    return web_app


class WebServer:
    """The listening socket of ``make_web_app``'s application."""

    def __init__(self, web_app: web.Application) -> None:
        self.web_app = web_app
        self.runner = web.AppRunner(web_app, handle_signals=False)

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (``port=0`` picks a free one); returns the port."""
        await self.runner.setup()
        await web.TCPSite(self.runner, host, port, shutdown_timeout=5.0).start()
        bound = int(self.runner.addresses[0][1])
        logger.warning("Concord listening on http://%s:%s", host, bound)
        return bound

    async def stop(self) -> None:
        await self.runner.cleanup()

"""Concord's own aiohttp server: ``/healthz`` plus each enabled adapter's routes, the
APScheduler clock that ticks the scheduler, and the delivery loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.main import App
from bot.settings import Settings
from storage import db

logger = logging.getLogger("concord.http")
APP_KEY = web.AppKey("concord", App)

RouteInstaller = Callable[[web.Application, App], Awaitable[None]]


def enabled_installers(settings: Settings) -> tuple[RouteInstaller, ...]:
    """The route installers of the platform adapters switched on in the settings."""
    installers: list[RouteInstaller] = []
    if settings.slack.enabled:
        from adapters import slack  # imported only when used: it loads slack_bolt

        installers.append(slack.install)
    return tuple(installers)


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        revision = await db.current_revision(app.engine)
    except Exception:
        logger.exception("health check could not reach the database")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": revision})


def make_web_app(app: App) -> web.Application:
    web_app = web.Application()
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    return web_app


async def delivery_loop(app: App) -> None:
    """Drain the outbox; right away again while there is traffic, else every interval."""
    idle = app.settings.delivery.interval_seconds
    while True:
        try:
            busy = await app.deliver() > 0
        except Exception:
            logger.exception("delivery pass failed")
            busy = False
        await asyncio.sleep(0.05 if busy else idle)


def start_clock(app: App) -> AsyncIOScheduler:
    """APScheduler as a trigger only: one interval job that asks the database what is due."""
    clock = AsyncIOScheduler()

    async def tick() -> None:
        await app.scheduler.tick(app.clock.now())

    clock.add_job(
        tick,
        "interval",
        seconds=app.settings.schedule.tick_seconds,
        id="tick",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    clock.start()
    return clock


@dataclass
class Server:
    """A running ``concord serve``: the web server, the scheduler clock, the delivery loop."""

    runner: web.AppRunner
    clock: AsyncIOScheduler
    deliveries: asyncio.Task[None]

    @property
    def port(self) -> int:
        return int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        self.deliveries.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.deliveries
        self.clock.shutdown(wait=False)
        await self.runner.cleanup()


async def start(
    app: App, installers: tuple[RouteInstaller, ...] | None = None, *, port: int | None = None
) -> Server:
    """Start serving (the adapters enabled in the settings unless ``installers`` are given);
    ``port=0`` picks a free port (see ``Server.port``)."""
    web_app = make_web_app(app)
    for install in enabled_installers(app.settings) if installers is None else installers:
        await install(web_app, app)
    app.attach({})
    clock = start_clock(app)
    runner = web.AppRunner(web_app)
    await runner.setup()
    host = app.settings.server.host
    await web.TCPSite(runner, host, app.settings.server.port if port is None else port).start()
    server = Server(runner, clock, asyncio.create_task(delivery_loop(app)))
    logger.warning("Concord listening on http://%s:%s", host, server.port)
    return server


async def serve_forever(app: App, installers: tuple[RouteInstaller, ...] | None = None) -> None:
    server = await start(app, installers)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()

"""Concord's own aiohttp server: ``/healthz`` plus each enabled adapter's routes, the
APScheduler clock that ticks the scheduler, and the delivery loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

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


async def delivery_loop(app: App, interval: float = 1.0) -> None:
    while True:
        try:
            await app.deliver()
        except Exception:
            logger.exception("delivery pass failed")
        await asyncio.sleep(interval)


async def serve_forever(app: App, installers: tuple[RouteInstaller, ...] | None = None) -> None:
    web_app = make_web_app(app)
    for install in enabled_installers(app.settings) if installers is None else installers:
        await install(web_app, app)
    app.attach({})
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
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, app.settings.server.host, app.settings.server.port)
    await site.start()
    logger.warning(
        "Concord listening on http://%s:%s", app.settings.server.host, app.settings.server.port
    )
    deliveries = asyncio.create_task(delivery_loop(app))
    try:
        await asyncio.Event().wait()
    finally:
        deliveries.cancel()
        clock.shutdown(wait=False)
        await runner.cleanup()

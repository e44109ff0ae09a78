"""``concord serve``: the web server, the adapters and the service loops, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from adapters.http import WebServer, make_web_app
from bot.dates.clock import SystemClock
from bot.main.app import App, build_app, create_adapters
from bot.service import Service
from bot.settings import Settings

logger = logging.getLogger("concord")


@dataclass
class Server:
    """A running ``concord serve``: the web server, the adapters and the service loops."""

    app: App
    web: WebServer
    service: Service
    port: int

    async def stop(self) -> None:
        await self.service.stop()
        await self.app.close()


async def start_server(app: App, *, port: int | None = None) -> Server:
    """Mount the enabled adapters, start listening (``port=0``: a free port) and start the
    inbox workers, delivery and the scheduler's clock."""
    web_app = make_web_app(app.health)
    adapters = create_adapters(app, web_app)
    web = WebServer(web_app)
    service = Service(
        settings=app.settings,
        clock=app.clock,
        inbox=app.inbox,
        deliverer=app.deliverer,
        scheduler=app.scheduler,
        adapters=adapters,
        web_stop=web.stop,
    )
    bound = await web.start(
        app.settings.server.host, app.settings.server.port if port is None else port
    )
    await service.start()
    return Server(app, web, service, bound)


async def serve(settings: Settings) -> int:
    app = await build_app(settings, SystemClock())
    try:
        server = await start_server(app)
    except BaseException:
        await app.close()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    logger.warning(
        "stopping: finishing events in progress (up to %ss)", settings.inbox.grace_seconds
    )
    await server.stop()
    logger.warning("stopped")
    return 0

"""``concord serve``: the aiohttp server answers /healthz; the scheduler clock and the delivery
loop run beside it."""

from __future__ import annotations

import aiohttp

from adapters.http import start
from bot.main import App
from storage import db


async def test_healthz_answers_on_an_ephemeral_port(app: App) -> None:
    server = await start(app, port=0)
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{server.port}/healthz") as response,
        ):
            body = await response.json()
        assert response.status == 200
        assert body == {"status": "ok", "database": db.head_revision()}
        assert [job.id for job in server.clock.get_jobs()] == ["tick"]
        assert not server.deliveries.done()
        assert app.deliverer is not None
    finally:
        await server.stop()
    assert server.deliveries.cancelled()

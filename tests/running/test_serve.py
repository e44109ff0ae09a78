"""``concord serve``: the aiohttp server answers /healthz; the inbox workers, the scheduler
clock and the delivery loop run beside it, and stop in order."""

from __future__ import annotations

import aiohttp

from bot.main import App, start_server
from storage import db


async def test_healthz_answers_on_an_ephemeral_port(app: App) -> None:
    server = await start_server(app, port=0)
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{server.port}/healthz") as response,
        ):
            body = await response.json()
        assert response.status == 200
        assert body == {
            "status": "ok",
            "database": db.head_revision(),
            "adapters": [],
            "inbox_pending": 0,
        }
        service = server.service
        assert service._ticker is not None
        assert [job.id for job in service._ticker.get_jobs()] == ["tick"]
        assert service._deliveries is not None and not service._deliveries.done()
    finally:
        await server.service.stop()
    assert service._deliveries.done()

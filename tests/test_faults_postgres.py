"""PostgreSQL faults on real ``concord serve`` processes: the database going away for a
while (a switchable TCP proxy in front of it), and two replicas on one database racing for
a new person and for one approval card."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.serve_process import (
    FaultRig,
    Sent,
    ServeProcess,
    fault_rig,
    postgres_url,
    traceback_count,
    until,
)

pytestmark = pytest.mark.postgres
UNREACHABLE = "Concord can't reach its database"


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    return postgres_url(request)


@pytest.fixture
async def rig(tmp_path: Path, pg_url: str) -> AsyncIterator[FaultRig]:
    async with fault_rig(tmp_path, pg_url) as made:
        yield made


class SwitchableProxy:
    """TCP between Concord and PostgreSQL that can be cut: ``down`` drops every open
    connection and refuses new ones, ``up`` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.open: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.open):
            writer.transport.abort()
        self.open.clear()

    def url(self, database_url: str) -> str:
        proxied = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return proxied.render_as_string(hide_password=False)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.open.update((writer, upstream_writer))
        await asyncio.gather(
            _copy(reader, upstream_writer), _copy(upstream_reader, writer), return_exceptions=True
        )
        for end in (writer, upstream_writer):
            self.open.discard(end)
            end.transport.abort()


async def _copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    while chunk := await source.read(65536):
        target.write(chunk)
        await target.drain()
    target.transport.abort()


async def ran_titles(rig: FaultRig) -> Counter[str]:
    return Counter(title for (title,) in await rig.rows("SELECT title FROM task"))


async def test_the_database_away_for_a_while(rig: FaultRig, pg_url: str) -> None:
    proxy = SwitchableProxy(make_url(pg_url).host or "127.0.0.1", make_url(pg_url).port or 5432)
    await proxy.up()
    server = rig.server(database_url=proxy.url(pg_url))
    await server.start()
    channels = ("C201", "C202", "C203")
    for channel in channels:
        assert (
            await rig.sender.command(server, f'project new "P{channel}"', channel=channel)
        ).acknowledged
    await rig.all_replied(f"P{c}" for c in channels)

    before = await asyncio.gather(
        *(task_add(rig, server, c, f"KB{c}N{n:02d}X") for n in range(10) for c in channels)
    )
    assert all(s.acknowledged for s in before)
    await proxy.down()
    cut = time.monotonic()
    log_at_cut = len(server.log().splitlines())
    [(pending_at_cut,)] = await rig.rows(
        "SELECT count(*) FROM inboundevent WHERE status = 'pending'"
    )

    told = [await task_add(rig, server, c, f"KO{c}X") for c in channels * 4]
    mentions = [
        await rig.sender.mention(server, f'task add "KE{c}X"', channel=c, ts=f"1700000001.{i:06d}")
        for i, c in enumerate(channels)
    ]
    health_down = await server.health_status()
    await until(
        lambda: "database (delivery) unreachable" in server.log(), what="the outage in the log"
    )
    await proxy.up()
    restored = time.monotonic()
    await rig.all_replied(s.token for s in before)
    recovered = time.monotonic() - restored
    retried = [
        await rig.sender.mention(server, f'task add "KE{c}X"', channel=c, ts=f"1700000001.{i:06d}")
        for i, c in enumerate(channels)
    ]
    await rig.all_replied(f"KE{c}X" for c in channels)

    assert all(s.status == 200 and UNREACHABLE in s.body for s in told), told
    assert all(s.status is not None and s.status >= 500 for s in mentions), mentions
    assert health_down == 503
    assert all(s.status == 200 for s in retried)
    ran = await ran_titles(rig)
    wanted = [s.token for s in before] + [f"KE{c}X" for c in channels]
    assert {title: ran[title] for title in wanted} == dict.fromkeys(wanted, 1)
    assert not any(ran[s.token] for s in told)
    outage_log = server.log().splitlines()[log_at_cut:]
    assert len(outage_log) < 20, "\n".join(outage_log)
    assert traceback_count(server.log()) == 0, server.log()
    print(
        f"\nFIGURES outage: {len(before)} acked before the cut ({pending_at_cut} still stored), "
        f"during it {len(told)} commands told '{UNREACHABLE}…', {len(mentions)} events answered "
        f"{sorted({s.status for s in mentions})}, /healthz {health_down}; outage "
        f"{restored - cut:.1f} s; all stored ones answered {recovered:.1f} s after it; "
        f"{len(outage_log)} log lines:\n  " + "\n  ".join(line[24:160] for line in outage_log)
    )


async def task_add(rig: FaultRig, server: ServeProcess, channel: str, token: str) -> Sent:
    sent = await rig.sender.command(server, f'task add "{token}"', channel=channel)
    return Sent(token, channel, sent.status, sent.body)

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

    async def close(self) -> None:
        await self.down()
        assert self.server is not None
        await self.server.wait_closed()

    def url(self, database_url: str) -> str:
        proxied = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return proxied.render_as_string(hide_password=False)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        if self.server is None or not self.server.is_serving():
            # Cut while this connection was being made: it must not outlive the cut.
            writer.transport.abort()
            upstream_writer.transport.abort()
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


async def no_pending(rig: FaultRig) -> bool:
    rows = await rig.rows("SELECT count(*) FROM inboundevent WHERE status = 'pending'")
    return rows == [(0,)]


async def settled(rig: FaultRig) -> bool:
    """Every stored event run and every message delivered."""
    outbox = await rig.rows("SELECT count(*) FROM outbox WHERE status = 'pending'")
    return outbox == [(0,)] and await no_pending(rig)


async def ran_titles(rig: FaultRig) -> Counter[str]:
    return Counter(title for (title,) in await rig.rows("SELECT title FROM task"))


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[SwitchableProxy]:
    made = SwitchableProxy(make_url(pg_url).host or "127.0.0.1", make_url(pg_url).port or 5432)
    await made.up()
    yield made
    await made.close()


async def test_the_database_away_for_a_while(
    rig: FaultRig, proxy: SwitchableProxy, pg_url: str
) -> None:
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


async def replicas(rig: FaultRig) -> tuple[ServeProcess, ServeProcess]:
    first, second = rig.server("replica-a"), rig.server("replica-b")
    await asyncio.gather(first.start(), second.start())
    return first, second


async def test_a_new_person_on_two_replicas_at_once_is_one_member(rig: FaultRig) -> None:
    pair = await replicas(rig)
    names = [f"D{n}" for n in range(10)]

    sent = await asyncio.gather(
        *(
            rig.sender.command(
                pair[n % 2], f'project new "{name}"', channel=f"C3{n:02d}", user="U444"
            )
            for n, name in enumerate(names)
        )
    )
    assert all(s.acknowledged for s in sent), sent
    await rig.all_replied(names)

    projects = {name for (name,) in await rig.rows("SELECT name FROM project")}
    assert projects == set(names)
    members = await rig.rows(
        "SELECT m.id, m.name FROM member m JOIN memberidentity i ON i.member_id = m.id "
        "WHERE i.platform = 'slack' AND i.external_id = 'U444'"
    )
    assert len(members) == 1, members
    assert await rig.rows("SELECT count(*) FROM member") == [(1,)]
    ran_on = Counter(s.status for s in sent)
    print(
        f"\nFIGURES new person: 10 commands on 2 replicas → {len(projects)} projects, "
        f"{len(members)} member ({members[0][1]}), answers {dict(ran_on)}"
    )


SETUP = (
    "dept add Engineering leader:<@U222|bob>",
    "dept add Administration leader:<@U333|carol>",
    "member <@U111|alice> dept:Engineering",
    'project new "Apollo" depts:Engineering,Administration',
)
REQUEST = (
    'request new material "2 event stands" from:2026-12-01 to:2026-12-05 '
    'purpose:"618大促活动支持" return:"back to Administration" dept:Administration'
)


def approve_buttons(rig: FaultRig) -> list[tuple[str, str, str]]:
    """(channel, ts, step id) of every posted card with an Approve button."""
    return [
        (str(c.body["channel"]), str(c.response.get("ts")), str(e["value"]))
        for c in rig.fake.named("chat.postMessage")
        for b in c.body.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "approval.approve"
    ]


async def test_a_double_click_across_two_replicas_is_one_decision(rig: FaultRig) -> None:
    first, second = await replicas(rig)
    for line in SETUP:
        assert (await rig.sender.command(first, line, channel="C111")).acknowledged
    assert (await rig.sender.command(first, REQUEST, channel="C111")).acknowledged
    await until(lambda: any(c == "C111" for c, _, _ in approve_buttons(rig)), what="the card")
    [(channel, ts, step)] = [card for card in approve_buttons(rig) if card[0] == "C111"]
    calls_before = len(rig.fake.calls)

    clicks = await asyncio.gather(
        *(
            rig.sender.click(
                server, user="U222", channel=channel, message_ts=ts, action="approval.approve",
                value=step, action_ts=f"1700000100.{n:06d}",
            )
            for n, server in enumerate((first, second))
        )
    )  # fmt: skip
    assert [s.status for s in clicks] == [200, 200]
    await until(lambda: settled(rig), what="both clicks run and their messages delivered")

    steps = await rig.rows("SELECT position, status, decided_by FROM approvalstep")
    [(bob,)] = await rig.rows(
        "SELECT member_id FROM memberidentity WHERE platform = 'slack' AND external_id = 'U222'"
    )
    assert sorted(steps) == [(1, "approved", bob), (2, "pending", None)]
    after = Counter((c.method, c.body.get("channel")) for c in rig.fake.calls[calls_before:])
    # Both cards of step 1 updated once, step 2's card posted once, alice told once.
    assert after[("chat.update", "C111")] == after[("chat.update", "D222")] == 1, after
    assert after[("chat.postMessage", "D333")] == 1, after
    assert after[("chat.postMessage", "D111")] == 1, after
    events = await rig.rows("SELECT status FROM inboundevent WHERE kind = 'action'")
    print(
        f"\nFIGURES double click: 2 clicks on 2 replicas ({[s.status for s in clicks]}), "
        f"events {sorted(e for (e,) in events)}, steps {sorted(steps)}, calls after: {dict(after)}"
    )

"""``concord serve`` killed (``kill -9``) or stopped (SIGTERM) in the middle of a burst of
slash commands: nothing acknowledged is lost, nothing runs twice, every command is answered.

Real subprocesses on SQLite and PostgreSQL, talking to the local fake Slack Web API; the
commands are correctly signed slash commands, ``task add`` in ten project channels.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.serve_process import FaultRig, Sent, ServeProcess, fault_rig, until

CHANNELS = tuple(f"C{n:03d}" for n in range(1, 11))
PER_CHANNEL = 20
GRACE = 5.0


@pytest.fixture
async def rig(tmp_path: Path, database_url: str) -> AsyncIterator[FaultRig]:
    async with fault_rig(tmp_path, database_url) as made:
        yield made


def title(channel: str, n: int) -> str:
    return f"K{channel}N{n:03d}X"  # unique, and no title is a part of another


async def bind_projects(rig: FaultRig, server: ServeProcess) -> None:
    """One project per channel (alice is its PM), each answered before the burst."""
    names = [f"P{channel}" for channel in CHANNELS]
    for channel, name in zip(CHANNELS, names, strict=True):
        sent = await rig.sender.command(server, f'project new "{name}"', channel=channel)
        assert sent.acknowledged, sent
    await rig.all_replied(names)


async def task_add(rig: FaultRig, server: ServeProcess, channel: str, n: int) -> Sent:
    token = title(channel, n)
    sent = await rig.sender.command(server, f'task add "{token}"', channel=channel)
    return Sent(token, channel, sent.status, sent.body)


async def tasks_by_project(rig: FaultRig) -> dict[str, list[tuple[str, int]]]:
    rows = await rig.rows(
        "SELECT p.name, t.title, t.number FROM task t JOIN project p ON p.id = t.project_id"
    )
    found: dict[str, list[tuple[str, int]]] = {}
    for project, task_title, number in rows:
        found.setdefault(project, []).append((task_title, number))
    return found


async def pending_events(rig: FaultRig) -> int:
    [(count,)] = await rig.rows("SELECT count(*) FROM inboundevent WHERE status = 'pending'")
    return int(count)


async def assert_ran_exactly_once(rig: FaultRig, acked: list[Sent]) -> None:
    """Each acknowledged ``task add`` made one task, numbered without gaps in its project."""
    found = await tasks_by_project(rig)
    for channel in CHANNELS:
        titles = Counter(t for t, _ in found.get(f"P{channel}", []))
        wanted = {s.token for s in acked if s.channel == channel}
        assert set(titles) == wanted, channel
        assert max(titles.values(), default=1) == 1, channel
        numbers = sorted(n for _, n in found[f"P{channel}"])
        assert numbers == list(range(1, len(wanted) + 1)), channel


def duplicates_per_chat(rig: FaultRig, acked: list[Sent]) -> Counter[str]:
    counts = rig.replies(s.token for s in acked)
    assert min(counts.values()) >= 1
    assert max(counts.values()) <= 2
    return Counter(s.channel for s in acked if counts[s.token] > 1)


async def test_kill_9_after_an_acknowledged_burst_loses_nothing_and_runs_nothing_twice(
    rig: FaultRig,
) -> None:
    server = await rig.started()
    await bind_projects(rig, server)

    burst = [task_add(rig, server, c, n) for n in range(1, PER_CHANNEL + 1) for c in CHANNELS]
    sent = await asyncio.gather(*burst)
    assert all(s.acknowledged for s in sent), [s for s in sent if not s.acknowledged][:3]
    await server.kill()
    pending_at_kill = await pending_events(rig)
    replied_at_kill = sum(1 for n in rig.replies(s.token for s in sent).values() if n)

    restarted = time.monotonic()
    await server.start()
    await rig.all_replied(s.token for s in sent)
    recovered = time.monotonic() - restarted
    assert await pending_events(rig) == 0

    await assert_ran_exactly_once(rig, sent)
    duplicates = duplicates_per_chat(rig, sent)
    assert max(duplicates.values(), default=0) <= 1, duplicates
    print(
        f"\nFIGURES kill-9 [{rig.database_url.split(':')[0]}]: sent {len(sent)}, acked "
        f"{sum(s.acknowledged for s in sent)}, pending at kill {pending_at_kill}, replied "
        f"before kill {replied_at_kill}, ran {len(sent)}, duplicates {sum(duplicates.values())} "
        f"({dict(duplicates)}), all answered {recovered:.1f} s after the restart"
    )


async def test_sigterm_mid_burst_exits_0_in_the_grace_and_loses_nothing_acknowledged(
    rig: FaultRig,
) -> None:
    server = await rig.started(grace_seconds=GRACE)
    await bind_projects(rig, server)
    stop_sent = asyncio.Event()
    results: list[Sent] = []

    async def channel_stream(channel: str) -> None:
        """Commands one after another until one is refused after the stop began."""
        for n in range(1, 1000):
            sent = await task_add(rig, server, channel, n)
            results.append(sent)
            if stop_sent.is_set() and not sent.acknowledged:
                return

    streams = [asyncio.create_task(channel_stream(c)) for c in CHANNELS]
    await until(lambda: len(results) >= 40, within=60, what="40 commands answered")
    server.terminate()
    stopping = time.monotonic()
    stop_sent.set()
    code = await server.exit_code(within=GRACE + 10)
    stopped_in = time.monotonic() - stopping
    await asyncio.gather(*streams)
    after_exit = [await task_add(rig, server, c, 999) for c in CHANNELS]

    assert code == 0, server.log()
    assert stopped_in < GRACE + 2, stopped_in
    assert all(s.status is None for s in after_exit), after_exit
    acked = [s for s in results if s.acknowledged]
    refused = [s for s in results if not s.acknowledged]
    assert all(s.status is None or s.status >= 300 or s.body for s in refused)
    # Once a channel was refused, nothing later in it was acknowledged.
    for channel in CHANNELS:
        answers = [s.acknowledged for s in results if s.channel == channel]
        assert answers == sorted(answers, reverse=True), channel

    await server.start()
    await rig.all_replied(s.token for s in acked)
    assert await pending_events(rig) == 0
    await assert_ran_exactly_once(rig, acked)
    duplicates = duplicates_per_chat(rig, acked)
    assert rig.replies(s.token for s in refused) == {s.token: 0 for s in refused}
    kinds = Counter(
        "refused" if s.status is None else f"{s.status}{' with text' if s.body else ''}"
        for s in refused
    )
    print(
        f"\nFIGURES sigterm [{rig.database_url.split(':')[0]}]: sent {len(results)}, acked "
        f"{len(acked)}, not acked {dict(kinds)}, exit {code} after {stopped_in:.2f} s "
        f"(grace {GRACE} s), ran {len(acked)}, duplicates {sum(duplicates.values())}"
    )

"""End-to-end Slack benchmark — what a Slack user feels, measured black-box:

    python -m bench e2e                  # Concord on SQLite (+ PostgreSQL if the variable is set)
    CONCORD_BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/concord_bench \\
        python -m bench e2e --no-sqlite  # Concord on PostgreSQL (the database is wiped)
    python -m bench e2e --tree ../before # Concord from another checkout (its .venv)

One run starts a fake Slack Web API in this process (the tests' ``FakeSlack`` on
127.0.0.1), then, one after the other, real server subprocesses pointed at it:

* **baseline** — a bare slack-bolt app (``bench/slack_baseline.py``): ack, then one
  ``chat.postMessage``. The floor any bolt app pays on this machine.
* **Concord** — ``<python> -m bot.cli serve --config <tmp toml>`` with ``[slack]`` in HTTP
  mode, the same signing secret, ``api_base_url`` at the fake, ``[delivery.slack]`` limits
  0 (so the engine is measured, not Slack's pacing) and a fresh database: a temporary
  SQLite file, and PostgreSQL when ``CONCORD_BENCH_DATABASE_URL`` (or ``--pg``) is set
  (WARNING: ``DROP SCHEMA public CASCADE`` first — use a scratch database).

Each server gets ``project new`` in 20 channels and a warm-up ``task add`` per channel, then
signed slash commands at fixed offered rates (``--rates 10,20,40,80`` per second,
``--commands 200`` each, open-loop): ``task add "Bench …" owner:<@U…> due:fri`` and every
5th a ``board``. Per command it records the **ack** (the HTTP response time of the slash
command request; Slack gives up after 3 s) and **command→reply** (from sending the request
until the fake receives the ``chat.postMessage``/``chat.postEphemeral`` carrying the reply).
Per rate: p50/p95/p99/max of both, achieved throughput, and the backlog — replies still
missing 10 s after the last command (``--window``); a missing reply counts as an infinite
latency in the percentiles. Then the ratios Concord/baseline for ack p99 and reply p50/p99.

**Before/after**: ``--tree PATH`` (or ``CONCORD_BENCH_TREE=PATH``) runs Concord from that
checkout with ``PATH/.venv/bin/python``; the harness, the fake and the baseline stay those of
this tree. E.g. ``git worktree add ../before HEAD~1 && (cd ../before && python3 -m venv .venv
&& .venv/bin/pip install -q -e .)``, then run once with ``--tree ../before`` and once without.

Output: a table on stdout and every figure (raw latencies included) in a JSON file
(``--json PATH``, by default in the temporary directory; the path is printed). A full run
(baseline + one database) takes about two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python bench/e2e.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.e2e_report import brief, commit_of, plain, report
from bench.servers import (
    HERE,
    SETUP_SECONDS,
    System,
    free_port,
    running,
    server_command,
    wipe_postgresql,
)
from bench.slack_driver import (
    Command,
    Driver,
    RecordingSlack,
    Replies,
    channel_ids,
    load_commands,
    setup_commands,
    summary,
)

SLACK_ACK_LIMIT_MS = 3000.0


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="10,20,40,80", help="offered commands per second")
    parser.add_argument("--commands", type=int, default=200, help="commands per rate")
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--board-every", type=int, default=5, help="every n-th is `board`")
    parser.add_argument("--window", type=float, default=10.0, help="backlog after this (s)")
    parser.add_argument("--settle", type=float, default=20.0, help="max wait between rates")
    parser.add_argument("--tree", type=Path, default=os.environ.get("CONCORD_BENCH_TREE"))
    parser.add_argument("--pg", default=os.environ.get("CONCORD_BENCH_DATABASE_URL"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", type=Path, help="where to write the figures")
    return parser.parse_args(argv)


async def measure(url: str, fake: RecordingSlack, args: argparse.Namespace) -> dict[str, Any]:
    replies = Replies()
    fake.on_call = replies.received
    channels = channel_ids(args.channels)
    async with Driver(url, replies) as driver:
        await prepare(driver, replies, channels)
        rows = []
        for index, rate in enumerate(float(r) for r in args.rates.split(",")):
            commands = load_commands(
                f"{index}", args.commands, channels, board_every=args.board_every
            )
            rows.append(await one_rate(driver, replies, commands, rate, args))
            print(f"   {rate:5.0f}/s: {brief(rows[-1])}", flush=True)
    return {"rates": rows, "unmatched_posts": replies.unmatched}


async def prepare(driver: Driver, replies: Replies, channels: list[str]) -> None:
    """A project per channel, then one task each (first user look-ups, warm caches)."""
    for phase in (setup_commands(channels), load_commands("w", len(channels), channels,
                                                          board_every=0)):  # fmt: skip
        await driver.offer(phase, rate=10.0)
        if not await replies.wait(phase, time.perf_counter() + SETUP_SECONDS):
            missing = [c.text for c in phase if not c.answered]
            raise RuntimeError(f"set-up replies missing: {missing[:3]} …")


async def one_rate(
    driver: Driver, replies: Replies, commands: list[Command], rate: float,
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    await driver.offer(commands, rate)
    first_sent = min(c.sent_at for c in commands)
    last_sent = max(c.sent_at for c in commands)
    deadline = last_sent + args.window
    await replies.wait(commands, deadline)
    in_time = [c for c in commands if c.answered and c.replied_at <= deadline]
    reply_ms = [c.reply_ms if c.answered and c.replied_at <= deadline else math.inf
                for c in commands]  # fmt: skip
    backlog = len(commands) - len(in_time)
    cleared = True
    if backlog:  # let it drain so the next rate starts from an idle server
        cleared = await replies.wait(commands, time.perf_counter() + args.settle)
    acks = [c.ack_ms for c in commands if c.status == 200]
    last_reply = max((c.replied_at for c in in_time), default=math.nan)
    return {
        "offered_per_s": rate,
        "commands": len(commands),
        "sent_per_s": (len(commands) - 1) / (last_sent - first_sent),
        "replies_per_s": len(in_time) / (last_reply - first_sent) if in_time else 0.0,
        "ack_ms": summary(acks),
        "reply_ms": summary(reply_ms),
        "reply_ms_by_kind": {
            kind: summary([ms for c, ms in zip(commands, reply_ms, strict=True) if c.kind == kind])
            for kind in sorted({c.kind for c in commands})
        },
        "errors": sum(c.status != 200 for c in commands),
        "acks_over_3s": sum(ms > SLACK_ACK_LIMIT_MS for ms in acks),
        "backlog_after_window": backlog,
        "drained_s_after_last_send": last_reply - last_sent if not backlog else None,
        "still_missing_after_settle": 0 if cleared else replies.missing(commands),
        "raw": {"ack_ms": acks, "reply_ms": reply_ms},
    }


# --- the run ---


def systems(args: argparse.Namespace, workdir: Path) -> list[System]:
    chosen = [] if args.no_baseline else [System("baseline")]
    if not args.no_sqlite:
        chosen.append(System("concord-sqlite", f"sqlite+aiosqlite:///{workdir / 'e2e.db'}"))
    if args.pg and not args.no_pg:
        chosen.append(System("concord-postgresql", args.pg))
    elif not args.no_pg:
        print("(PostgreSQL skipped: set CONCORD_BENCH_DATABASE_URL or pass --pg URL)")
    return chosen


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    tree = (args.tree or HERE.parent).resolve()
    figures: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "concord_tree": str(tree),
        "concord_commit": commit_of(tree),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "systems": {},
    }
    print(f"\n== Slack end to end — Concord at {figures['concord_commit']} ({tree})")
    fake = RecordingSlack(lambda method, body, at: None)
    await fake.start()
    try:
        for system in systems(args, workdir):
            if system.database_url and system.database_url.startswith("postgresql"):
                await wipe_postgresql(system.database_url)
            port = free_port()
            argv = server_command(system, tree, workdir, port, fake.base_url)
            print(f"   {system.name}: {' '.join(argv[:4])} …", flush=True)
            async with running(argv, tree, port, workdir / f"{system.name}.log") as url:
                figures["systems"][system.name] = await measure(url, fake, args)
    finally:
        await fake.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="concord-e2e-"))
    started = time.perf_counter()
    try:
        figures = asyncio.run(run(args, workdir))
    except KeyboardInterrupt:  # the servers are already stopped by then
        return 130
    report(figures)
    figures["total_s"] = time.perf_counter() - started
    path = args.json or workdir / "e2e.json"
    path.write_text(json.dumps(plain(figures), indent=1), encoding="utf-8")
    print(f"\n(total {figures['total_s']:.0f} s; figures in {path}; server logs in {workdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

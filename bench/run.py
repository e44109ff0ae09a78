"""Scheduler benchmarks — one command:

    python -m bench                      # SQLite, plus PostgreSQL if CONCORD_BENCH_DATABASE_URL
    CONCORD_BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/concord_bench \\
        python -m bench                  # (or: python bench/run.py --pg URL)

WARNING: the PostgreSQL database is wiped (``DROP SCHEMA public CASCADE``); use a scratch one.
SQLite files go to a temporary directory.

1. **Due-item scan** at 10k, 100k and 1M tasks with the same 50 due: the task job's scan
   query, one steady-state tick of the task job, and the same query without its index.
   Ratios are against the 10k figures of the same run: with ``ix_task_open_due`` the cost
   follows the due items (≈1×), without it the table size (≈10×, ≈100×).
2. **Digest rendering** for 1,000 and 10,000 project groups: load + render, groups/second, and
   the per-group cost relative to the 1,000-group run; and how long the weekly job takes to
   find the due groups among 10,000 (before the slot, right after it, once they are sent).

Options: ``--sizes 10000,100000,1000000`` ``--groups 10000`` ``--repeat 30`` ``--no-sqlite``
``--no-pg``. The default run takes a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # ``python bench/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import digests, load, scan
from bot.dates.clock import ManualClock
from bot.main import App, build_app
from bot.settings import Settings


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("CONCORD_BENCH_DATABASE_URL"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    return parser.parse_args(argv)


async def open_app(url: str) -> App:
    settings = Settings()
    settings.database_url = url
    settings.auto_migrate = False
    return await build_app(settings, ManualClock(scan.NOW), migrate=False)


async def scan_benchmark(url: str, label: str, sizes: list[int], repeat: int) -> None:
    print(f"\n== Due-item scan — {label} ({scan.DUE} due at every size)")
    engine = await load.fresh_database(url)
    await scan.seed_base(engine)
    rng, have, rows, plans = random.Random(7), 0, [], []
    for size in sizes:
        started = time.perf_counter()
        await scan.grow(engine, have, size, rng)
        have = size
        print(f"   loaded {size:>9,} tasks in {time.perf_counter() - started:5.1f} s", flush=True)
        app = await open_app(url)
        try:
            rows.append(await scan.measure(app, size, repeat))
            plans.append(await scan.plan(app))
        finally:
            await app.close()
    await engine.dispose()
    base = rows[0]
    print("   milliseconds, best of the runs (median in brackets); ×base = best / best at "
          f"{base.tasks:,}")  # fmt: skip
    print(f"   {'tasks':>9}  {'found':>5}  {'scan':>14} {'×base':>5}  {'task-job tick':>14} "
          f"{'×base':>5}  {'without index':>15} {'×base':>6}")  # fmt: skip
    for r in rows:
        print(f"   {r.tasks:>9,}  {r.found:>5}  {_ms(r.scan.best, r.scan.median):>14} "
              f"{r.scan.best / base.scan.best:>5.2f}  {_ms(r.tick.best, r.tick.median):>14} "
              f"{r.tick.best / base.tick.best:>5.2f}  "
              f"{_ms(r.no_index.best, r.no_index.median):>15} "
              f"{r.no_index.best / base.no_index.best:>6.1f}")  # fmt: skip
    for size, chosen in zip(sizes, plans, strict=True):
        print(f"   plan at {size:>9,}: {chosen}")


def _ms(best: float, median: float) -> str:
    return f"{best:.2f} ({median:.2f})" if best < 100 else f"{best:.0f} ({median:.0f})"


async def digest_benchmark(url: str, label: str, groups: int) -> None:
    print(f"\n== Digest rendering — {label}")
    engine = await load.fresh_database(url)
    started = time.perf_counter()
    await digests.seed(engine, groups)
    await engine.dispose()
    print(f"   loaded {groups:,} groups ({groups * digests.TASKS_PER_PROJECT:,} tasks) "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    app = await open_app(url)
    try:
        sizes = sorted({max(groups // 10, 1), groups})
        figures = [(n, *(await digests.render_groups(app, n))) for n in sizes]
        picks = await digests.choose_due(app)
    finally:
        await app.close()
    base = figures[0][1] / figures[0][0]
    print(f"   {'groups':>9}  {'seconds':>8}  {'groups/s':>9}  {'per group ×base':>15}  lines")
    for n, seconds, lines in figures:
        print(f"   {n:>9,}  {seconds:>8.2f}  {n / seconds:>9,.0f}  {seconds / n / base:>15.2f}"
              f"  {lines:,}")  # fmt: skip
    for when, (ms, due) in picks.items():
        print(f"   weekly job, finding the due groups {when}: {ms:.1f} ms ({due:,} due)")


async def run(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    targets: list[tuple[str, str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    if not args.no_sqlite:
        targets.append(("SQLite", f"sqlite+aiosqlite:///{tmp / 'scan.db'}"))
    if args.pg and not args.no_pg:
        targets.append(("PostgreSQL", args.pg))
    elif not args.no_pg:
        print("(PostgreSQL skipped: set CONCORD_BENCH_DATABASE_URL or pass --pg URL)")
    for label, url in targets:
        await scan_benchmark(url, label, sizes, args.repeat)
    for label, url in targets:
        digest_url = url.replace("scan.db", "digest.db")
        await digest_benchmark(digest_url, label, args.groups)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.ERROR)
    args = _args(argv)
    started = time.perf_counter()
    asyncio.run(run(args))
    print(f"\n(total {time.perf_counter() - started:.0f} s, Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

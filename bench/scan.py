"""The due-item scan benchmark: the task job's scan at growing table sizes, few items due.

Tasks are loaded in steps (10k → 100k → 1M); the same 50 tasks are due at every size, the
rest are done, due far ahead, or long overdue (past the catch-up window). Measured: the scan
query as the job runs it, one steady-state tick of the task job (every due item already
reminded), and — for contrast — the same query with the index switched off.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import load
from bench.timing import Timing, time_ms
from bot.main import App
from bot.scheduler import JobContext
from commands.tasks import jobs as task_job
from storage import db, schedule
from storage.db import transaction

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
PROJECTS = 1000
DUE = 50
TASK_COLUMNS = (
    "id",
    "project_id",
    "number",
    "title",
    "owner_id",
    "due_at",
    "due_has_time",
    "status",
    "blocked_seconds",
    "created_at",
    "updated_at",
    "done_at",
)


@dataclass(frozen=True)
class ScanFigures:
    tasks: int
    found: int
    scan: Timing
    tick: Timing
    no_index: Timing


async def seed_base(engine: AsyncEngine) -> None:
    created = NOW - timedelta(days=800)
    await load.insert(
        engine,
        "member",
        ("id", "name", "daily_reminders", "created_at"),
        ((i, f"member{i}", False, created) for i in range(1, PROJECTS + 1)),
    )
    await load.insert(
        engine,
        "project",
        ("id", "name", "status", "owner_id", "created_at", "updated_at"),
        ((i, f"Project {i}", "active", i, created, created) for i in range(1, PROJECTS + 1)),
    )
    await load.insert(
        engine,
        "chat",
        ("id", "platform", "external_id", "is_direct", "project_id", "created_at"),
        ((i, "slack", f"C{i}", False, i, created) for i in range(1, PROJECTS + 1)),
    )


def task_rows(first_id: int, count: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    """``count`` tasks; the very first ``DUE`` of the table fall inside the scan window."""
    for task_id in range(first_id, first_id + count):
        project = task_id % PROJECTS + 1
        roll = rng.random()
        if task_id <= DUE:
            due, status, done = NOW + timedelta(hours=rng.uniform(-120, 120)), "todo", None
        elif roll < 0.7:
            due = NOW - timedelta(days=rng.uniform(40, 700))
            status, done = "done", due
        elif roll < 0.85:
            due, status, done = NOW + timedelta(days=rng.uniform(40, 700)), "in_progress", None
        else:  # abandoned long ago: older than the catch-up window
            due, status, done = NOW - timedelta(days=rng.uniform(60, 700)), "todo", None
        created = due - timedelta(days=30)
        yield (task_id, project, task_id, f"Task {task_id}", project, due, False, status, 0,
               created, created, done)  # fmt: skip


async def grow(engine: AsyncEngine, have: int, want: int, rng: random.Random) -> None:
    step = 100_000
    for first in range(have + 1, want + 1, step):
        count = min(step, want - first + 1)
        await load.insert(engine, "task", TASK_COLUMNS, task_rows(first, count, rng))
    await load.finish(engine)


async def measure(app: App, tasks: int, repeat: int) -> ScanFigures:
    ctx = JobContext(app.sessions, app.settings, app.scheduler.calendar, NOW)
    start, end = task_job.scan_window(app.settings, NOW)

    async def scan() -> int:
        async with transaction(app.sessions) as session:
            return len(await schedule.open_tasks_due_between(session, start=start, end=end))

    found = await scan()
    await task_job.run(ctx)  # the first tick sends the reminders; later ticks find them sent
    return ScanFigures(
        tasks=tasks,
        found=found,
        scan=await time_ms(scan, repeat),
        tick=await time_ms(lambda: task_job.run(ctx), max(repeat // 2, 5)),
        no_index=await time_ms(lambda: unindexed_scan(app, start, end), 3),
    )


async def unindexed_scan(app: App, start: datetime, end: datetime) -> int:
    """The same query with the index out of play (what the scan would cost without it)."""
    sqlite = db.is_sqlite(app.engine)
    table = "task NOT INDEXED" if sqlite else "task"
    sql = text(
        f"SELECT * FROM {table} WHERE status <> 'done' AND due_at >= :start AND due_at <= :end"
    )
    async with app.engine.begin() as connection:
        if not sqlite:
            for knob in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                await connection.execute(text(f"SET LOCAL {knob} = off"))
        rows = await connection.execute(
            sql, {"start": _bind(start, sqlite), "end": _bind(end, sqlite)}
        )
        return len(rows.all())


def _bind(moment: datetime, sqlite: bool) -> object:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment


async def plan(app: App) -> str:
    """The planner's choice for the scan, one line."""
    start, end = task_job.scan_window(app.settings, NOW)
    sqlite = db.is_sqlite(app.engine)
    where = "status <> 'done' AND due_at >= :start AND due_at <= :end"
    explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
    sql = text(f"{explain} SELECT * FROM task WHERE {where} ORDER BY due_at, id")
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            sql, {"start": _bind(start, sqlite), "end": _bind(end, sqlite)}
        )
        lines = [str(row[-1] if sqlite else row[0]) for row in rows.all()]
    return next((line.strip() for line in lines if "ix_task_open_due" in line), " | ".join(lines))

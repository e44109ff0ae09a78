"""The digest benchmark: render the weekly digest of many project groups (10,000 by default).

Each project has a group chat, 4 phases, 20 tasks (done this week, overdue, blocked, open),
2 open issues (one past its SLA), a pending approval and an upcoming meeting. Rendering is
what the weekly job does per batch of 200 projects: load the rows (a fixed number of queries)
and build one message per group in the group's language and zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bench import load
from bench.scan import NOW
from bench.timing import elapsed_s, time_ms
from bot.main import App
from bot.outbound import targets
from bot.scheduler import JobContext
from commands.reports import digest
from commands.reports import jobs as digest_job
from storage import schedule
from storage.db import transaction

TASKS_PER_PROJECT = 20
BATCH = 200


async def seed(engine: AsyncEngine, groups: int) -> None:
    ids = range(1, groups + 1)
    old = NOW - timedelta(days=90)
    await load.insert(
        engine,
        "member",
        ("id", "name", "daily_reminders", "created_at"),
        ((i, f"member{i}", False, old) for i in ids),
    )
    await load.insert(
        engine,
        "project",
        ("id", "name", "status", "owner_id", "created_at", "updated_at"),
        ((i, f"Project {i}", "active", i, old, old) for i in ids),
    )
    await load.insert(
        engine,
        "chat",
        ("id", "platform", "external_id", "is_direct", "project_id", "locale", "timezone",
         "created_at"),
        ((i, "slack", f"C{i}", False, i, ("en", "zh-CN")[i % 2],
          ("Asia/Shanghai", "America/Los_Angeles")[i % 2], old) for i in ids),
    )  # fmt: skip
    await load.insert(
        engine,
        "phase",
        ("id", "project_id", "position", "name", "milestone"),
        ((4 * (p - 1) + k, p, k, f"Phase {k}", (NOW + timedelta(days=7 * k - 7)).date())
         for p in ids for k in range(1, 5)),
    )  # fmt: skip
    await _seed_tasks(engine, groups)
    await _seed_other(engine, groups)
    await load.finish(engine)


async def _seed_tasks(engine: AsyncEngine, groups: int) -> None:
    columns = ("id", "project_id", "number", "title", "phase_id", "owner_id", "due_at",
               "due_has_time", "status", "blocked_reason", "blocked_seconds", "created_at",
               "updated_at", "done_at")  # fmt: skip

    def rows(project: int) -> list[tuple[object, ...]]:
        out: list[tuple[object, ...]] = []
        for n in range(1, TASKS_PER_PROJECT + 1):
            status = ("done", "done", "in_progress", "todo", "blocked")[n % 5]
            due = NOW + timedelta(days=n - 8)
            done = NOW - timedelta(days=n % 3) if status == "done" else None
            reason = "waiting for budget" if status == "blocked" else None
            out.append((TASKS_PER_PROJECT * (project - 1) + n, project, n, f"Task {n}",
                        4 * (project - 1) + 1 + n % 4, project, due, False, status, reason, 0,
                        NOW - timedelta(days=40), NOW, done))  # fmt: skip
        return out

    await load.insert(engine, "task", columns, (r for p in range(1, groups + 1) for r in rows(p)))


async def _seed_other(engine: AsyncEngine, groups: int) -> None:
    ids = range(1, groups + 1)
    await load.insert(
        engine,
        "issue",
        ("id", "project_id", "number", "title", "urgency", "status", "owner_id",
         "triage_breached", "plan_breached", "reopen_count", "created_at", "updated_at"),
        ((2 * (p - 1) + k, p, k, f"Issue {k}", ("high", "low")[k - 1], "open", p, k == 1,
          False, 0, NOW, NOW) for p in ids for k in (1, 2)),
    )  # fmt: skip
    await load.insert(
        engine,
        "resourcerequest",
        ("id", "project_id", "number", "requester_id", "kind", "description", "status",
         "created_at", "updated_at"),
        ((p, p, 1, p, "material", "活动展架 x2", "pending", NOW, NOW) for p in ids),
    )  # fmt: skip
    await load.insert(
        engine,
        "approvalstep",
        ("id", "project_id", "subject_type", "subject_id", "round", "position", "rule",
         "approver_id", "status", "due_at", "created_at"),
        ((p, p, "request", p, 1, 1, "requester_leader", p, "pending", NOW + timedelta(days=1),
          NOW) for p in ids),
    )  # fmt: skip
    await load.insert(
        engine,
        "meeting",
        ("id", "project_id", "number", "topic", "starts_at", "duration_minutes", "status",
         "created_at"),
        ((p, p, 1, "Weekly sync", NOW + timedelta(days=2), 60, "scheduled", NOW) for p in ids),
    )  # fmt: skip


async def render_groups(app: App, groups: int) -> tuple[float, int]:
    """Seconds to load and render the digests of the first ``groups`` groups; lines rendered."""
    lines = 0

    async def run() -> None:
        nonlocal lines
        async with transaction(app.sessions) as session:
            chats = list(await schedule.group_chats(session))[:groups]
        for start in range(0, len(chats), BATCH):
            batch = chats[start : start + BATCH]
            async with transaction(app.sessions) as session:
                rows = await digest.load(session, [c.project_id or 0 for c in batch], NOW)
            for chat in batch:
                message = digest.render(
                    rows,
                    chat.project_id or 0,
                    locale=targets.chat_locale(app.settings, chat),
                    zone=targets.chat_zone(app.settings, chat),
                    now=NOW,
                )
                lines += len(message.plain_text().splitlines())

    return await elapsed_s(run), lines


async def choose_due(app: App) -> dict[str, tuple[float, int]]:
    """Milliseconds (best of 5) for the weekly job to find the groups whose digest is due:
    before the slot, right after it (half of the groups: Shanghai's Friday 15:00), and once
    those digests are out."""
    before = NOW + timedelta(days=3)  # Thursday
    after = NOW + timedelta(days=4, hours=6, minutes=30)  # Friday 15:30 in Shanghai
    out = {
        "on Thursday": await _pick(app, before),
        "on Friday 15:30": await _pick(app, after),
    }
    await digest_job.run(JobContext(app.sessions, app.settings, app.scheduler.calendar, after))
    out["once those are sent"] = await _pick(app, after)
    return out


async def _pick(app: App, when: datetime) -> tuple[float, int]:
    ctx = JobContext(app.sessions, app.settings, app.scheduler.calendar, when)
    found = 0

    async def run() -> None:
        nonlocal found
        async with transaction(app.sessions) as session:
            found = len(await digest_job.due_chats(session, ctx))

    return (await time_ms(run, 5)).best, found

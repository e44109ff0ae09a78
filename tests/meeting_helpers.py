"""Shared setup, clock control and database probes for the meeting and plan tests."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from typing import Any

from sqlmodel import SQLModel, select

from bot.dates.clock import ManualClock
from bot.main import App
from bot.scheduler import JobContext
from bot.text.messages import Message
from commands.meetings import jobs as meeting_job
from commands.parsing.durations import parse_duration
from commands.plans import jobs as plan_job
from storage.tables import AuditLog, Member, Outbox
from tests.conftest import START
from tests.console_driver import ConsoleDriver

# Fri 2026-11-27 15:00 in Shanghai, the meetings' usual slot (START is Mon 09:00 that week).
FRIDAY_1500 = START + timedelta(days=4, hours=6)

# alice owns the project (PM); bob leads 研发部 where erin works; dan sells from Los Angeles.
SETUP = {
    "en": """
        :as alice
        dept add 研发部 leader:@bob
        dept add 销售部 leader:@sam tz:America/Los_Angeles
        member @dan dept:销售部 tz:America/Los_Angeles
        member @erin dept:研发部
        project new "Apollo" depts:研发部,销售部
    """,
    "zh-CN": """
        :as alice
        部门 新建 研发部 部门负责人:@bob
        部门 新建 销售部 部门负责人:@sam 时区:America/Los_Angeles
        成员 @dan 部门:销售部 时区:America/Los_Angeles
        成员 @erin 部门:研发部
        项目 新建 "Apollo" 参与部门:研发部,销售部
    """,
}


async def run_script(console: ConsoleDriver, clock: ManualClock, script: str) -> str:
    """Run a console script, but make ``:advance <span>`` jump the clock at once.

    The console's ``:advance`` replays every scheduler tick (5-minute steps); the jobs of these
    tests are not registered with the scheduler yet, so jumping yields the same replies in a
    fraction of the time. The tests run the jobs themselves with ``run_jobs``.
    """
    out: list[str] = []
    chunk: list[str] = []
    for line in textwrap.dedent(script).splitlines():
        if line.strip().startswith(":advance "):
            out.append(await console.run("\n".join(chunk)))
            chunk = []
            clock.advance(parse_duration(line.strip().split(" ", 1)[1]).to_timedelta())
        else:
            chunk.append(line)
    out.append(await console.run("\n".join(chunk)))
    return "".join(out)


async def run_jobs(
    app: App, clock: ManualClock, console: ConsoleDriver, *, plans: bool = False
) -> str:
    """Run the meeting (or plan) job at the clock's time, deliver, return what was printed."""
    start = len(console.output)
    job = plan_job if plans else meeting_job
    await job.run(JobContext(app.sessions, app.settings, app.scheduler.calendar, clock.now()))
    await app.deliver()
    return "".join(console.output[start:])


async def rows(app: App, model: type[SQLModel]) -> list[Any]:
    """Every row of ``model``, in primary-key order."""
    key = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
    async with app.sessions() as session:
        return list((await session.exec(select(model).order_by(key))).all())


async def names(app: App) -> dict[int, str]:
    return {m.id: m.name for m in await rows(app, Member)}


async def audit_actions(app: App, entity: str) -> list[tuple[str, str | None]]:
    """``(action, actor name)`` of the audit rows of ``entity``, oldest first."""
    who = await names(app)
    return [
        (r.action, who.get(r.actor_id or 0))
        for r in await rows(app, AuditLog)
        if r.entity == entity
    ]


async def dm_messages(app: App) -> dict[str, list[Message]]:
    """Queued direct messages by recipient name."""
    out: dict[str, list[Message]] = {}
    for row in await rows(app, Outbox):
        if row.is_direct:
            out.setdefault(row.chat_external_id, []).append(Message.from_json(row.payload))
    return out

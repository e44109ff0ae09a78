"""Per-item failure isolation in the scheduled jobs: a deliberately broken row in the real
database (SQLite and PostgreSQL) is logged with its id and skipped — its transaction rolled
back — while the other due items of the same job still go out and the tick goes on."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from bot.scheduler import JobContext
from commands.escalations import jobs as escalation_job
from commands.issues import jobs as issue_job
from storage.db import transaction
from storage.tables import ApprovalStep, Escalation, Issue, NotificationKey
from tests.conftest import START
from tests.console_driver import ConsoleDriver
from tests.request_helpers import setup, steps_of
from tests.scheduling import at

REQUEST = (
    ':as carol\nrequest new budget "{what}" amount:800 from:D+20 to:D+22 purpose:"p" return:"r"'
)


async def tick(app: App, console: ConsoleDriver, clock: ManualClock) -> str:
    """One scheduler tick with every job, then delivery; what the console printed."""
    start = len(console.output)
    await app.scheduler.tick(to_utc(clock.now()))
    await app.deliver()
    return "".join(console.output[start:])


async def run(app: App, job: object, clock: ManualClock) -> None:
    ctx = JobContext(app.sessions, app.settings, app.scheduler.calendar, clock.now())
    await job.run(ctx)  # type: ignore[attr-defined]


async def ledger(app: App) -> set[str]:
    async with transaction(app.sessions) as session:
        return {k.key for k in (await session.exec(select(NotificationKey))).all()}


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_step_whose_request_is_gone_does_not_hold_back_the_others(
    console: ConsoleDriver, app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await setup(console, "en")
    await console.run(REQUEST.format(what="Ads") + "\n" + REQUEST.format(what="Fair"))
    broken = (await steps_of(app, 1))[0]
    async with transaction(app.sessions) as session:
        step = await session.get(ApprovalStep, broken.id)
        assert step is not None
        step.subject_id = 9999  # its request no longer exists
        session.add(step)
    clock.set(at("2026-11-25 09:01"))  # both steps are past their deadline
    out = await tick(app, console, clock)
    assert "[to @bob] ⏰ Overdue approval: R2 budget: Fair" in out
    assert "Overdue approval: R1" not in out
    assert f"approval step {broken.id} failed" in "\n".join(failures(caplog))
    keys = await ledger(app)
    assert f"approval:{broken.id}:overdue" not in keys  # rolled back: retried next tick
    assert f"approval:{(await steps_of(app, 2))[0].id}:overdue" in keys


async def test_an_escalation_with_a_broken_subject_is_skipped(
    console: ConsoleDriver, app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await console.run("""
        project new "Apollo" sponsor:@erin
        task add "Spec" owner:@bob
        task add "Build" owner:@dan
        escalate T1 "blocked"
        escalate T2 "blocked"
    """)
    async with transaction(app.sessions) as session:
        first = (await session.exec(select(Escalation).where(Escalation.number == 1))).one()
        first.subject_type = "gone"  # no such kind of item
        session.add(first)
    clock.set(START + timedelta(hours=24))
    start = len(console.output)
    await run(app, escalation_job, clock)
    await app.deliver()
    out = "".join(console.output[start:])
    assert "⬆⬆ Escalation E2 · L2 on T2 Build" in out
    assert "E1" not in out
    assert f"escalation {first.id} failed" in "\n".join(failures(caplog))


async def test_an_issue_that_does_not_render_is_skipped(
    console: ConsoleDriver, app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await console.run("""
        project new "Apollo" coordinator:@carol
        issue report "Login fails" urgency:high
        issue report "Typo" urgency:low
    """)
    async with transaction(app.sessions) as session:
        login = (await session.exec(select(Issue).where(Issue.number == 1))).one()
        login.urgency = "dire"  # no wording for it: rendering the alert raises
        session.add(login)
    clock.set(START + timedelta(hours=2, minutes=1))
    start = len(console.output)
    await run(app, issue_job, clock)
    await app.deliver()
    out = "".join(console.output[start:])
    assert "⏰ SLA missed: I2 Typo" in out and "I1 Login fails" not in out
    assert f"issue (triage SLA) {login.id} failed" in "\n".join(failures(caplog))
    async with transaction(app.sessions) as session:
        again = await session.get(Issue, login.id)
        assert again is not None and not again.triage_breached  # rolled back with it

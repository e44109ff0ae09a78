"""The issue SLA job (``commands.issues.jobs``): breaches are announced exactly once per issue, SLA
and group, flagged, written to the timeline and audit log, and escalated; verifying the issue
resolves the escalation. Time is driven with the ManualClock."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, select

from bot.dates.clock import ManualClock
from bot.main import App
from bot.scheduler import JobContext
from commands.issues import jobs as issue_job
from storage.tables import AuditLog, Chat, Escalation, Issue, IssueEntry, NotificationKey, Outbox
from tests.conftest import START
from tests.console_driver import ConsoleDriver

SETUP = """
    :as alice
    dept add 研发部 leader:@bob
    member @erin dept:研发部
    project new "Apollo" depts:研发部 coordinator:@carol
    :in ops-room
    project bind P1
    :in console
    :as frank
    issue report "Login fails" urgency:high depts:研发部 category:登录
    issue report "Typo on the pricing page" urgency:low category:UI
    issue report "Invoice PDF blank" depts:研发部 category:财务
    :as carol
    issue I3 triage primary:研发部 owner:@erin eta:D+3
"""


async def tick(app: App, clock: ManualClock, console: ConsoleDriver) -> str:
    """Run the job at the clock's time, deliver, and return what the console printed."""
    start = len(console.output)
    await issue_job.run(JobContext(app.sessions, app.settings, app.scheduler.calendar, clock.now()))
    await app.deliver()
    return "".join(console.output[start:])


async def _outbox_count(app: App) -> int:
    async with app.sessions() as session:
        return len((await session.exec(select(Outbox))).all())


async def test_sla_breaches_are_announced_once_and_escalated(
    app: App, clock: ManualClock, console: ConsoleDriver
) -> None:
    await console.run(SETUP)
    clock.set(START + timedelta(hours=2))  # exactly at the due time: not breached yet
    assert await tick(app, clock, console) == ""

    clock.set(START + timedelta(hours=2, minutes=1))
    out = await tick(app, clock, console)
    triage_alert = (
        "⏰ SLA missed: I1 Login fails [high] was not triaged within 2 h (due 11-23 11:00). "
        "@carol @alice please triage: `issue I1 triage primary:Dept owner:@someone eta:D`."
    )
    plan_alert = (
        "⏰ SLA missed: I1 Login fails [high] has no solution plan (due 11-23 11:00). "
        "@carol @alice please post it"
    )
    assert out.count(triage_alert) == 2  # both groups of the project
    assert "[to ops-room] " + triage_alert in out
    assert out.count(plan_alert) == 2  # green channel: plan within 2 h
    assert "I2 Typo on the pricing page [low] was not triaged within 2 h" in out
    assert "I3 Invoice" not in out  # triaged in time; its plan is due in 24 h
    assert "⬆ Escalation E1 · L1 on I1 Login fails: Triage SLA missed on I1 Login fails" in out
    assert "⬆ Escalation E2 · L1 on I2 Typo on the pricing page" in out
    sent = await _outbox_count(app)

    assert await tick(app, clock, console) == ""  # a second run sends nothing new
    assert await _outbox_count(app) == sent
    async with app.sessions() as session:
        for issue in (await session.exec(select(Issue))).all():
            issue.triage_breached = issue.plan_breached = False  # a replica that missed the flags
            session.add(issue)
        await session.commit()
    assert await tick(app, clock, console) == ""  # the notification ledger still holds
    assert await _outbox_count(app) == sent

    async with app.sessions() as session:
        keys = sorted(
            k.key
            for k in (await session.exec(select(NotificationKey))).all()
            if k.key.startswith("issue:")
        )
        issues = {i.number: i for i in (await session.exec(select(Issue))).all()}
        escalations = (await session.exec(select(Escalation).order_by(col(Escalation.id)))).all()
        chats = [c.id for c in (await session.exec(select(Chat))).all() if c.project_id]
    ids = {n: i.id for n, i in issues.items()}
    assert len(chats) == 2
    assert keys == sorted(
        f"issue:{ids[n]}:sla:{kind}:{chat}"
        for n, kind in ((1, "triage"), (1, "plan"), (2, "triage"))
        for chat in chats
    )
    assert [(e.subject_id, e.status, e.opened_by) for e in escalations] == [
        (ids[1], "open", None),
        (ids[2], "open", None),
    ]


async def test_flags_timeline_audit_and_breached_list(
    app: App, clock: ManualClock, console: ConsoleDriver
) -> None:
    await console.run(SETUP)
    clock.set(START + timedelta(hours=2, minutes=1))
    await tick(app, clock, console)
    clock.set(START + timedelta(hours=24, minutes=1))  # the 24 h plan clock of I2 and I3
    out = await tick(app, clock, console)
    assert (
        "I3 Invoice PDF blank [medium] has no solution plan (due 11-24 09:00). "
        "@carol @erin @alice please post it" in out
    )
    assert "I2 Typo on the pricing page [low] has no solution plan" in out
    async with app.sessions() as session:
        issues = {i.number: i for i in (await session.exec(select(Issue))).all()}
        flags = {n: (i.triage_breached, i.plan_breached) for n, i in issues.items()}
        rows = (
            await session.exec(
                select(AuditLog)
                .where(AuditLog.action == "issue.sla_breach")
                .order_by(col(AuditLog.id))
            )
        ).all()
        breaches = (
            await session.exec(
                select(IssueEntry).where(IssueEntry.kind == "breach").order_by(col(IssueEntry.id))
            )
        ).all()
    assert flags == {1: (True, True), 2: (True, True), 3: (False, True)}
    by_id = {i.id: n for n, i in issues.items()}
    assert [
        (by_id[r.entity_id or 0], json.loads(r.detail or "{}")["sla"], r.actor_id) for r in rows
    ] == [
        (1, "triage", None),
        (2, "triage", None),
        (1, "plan", None),
        (2, "plan", None),
        (3, "plan", None),
    ]
    assert [(by_id[e.issue_id], e.author_id) for e in breaches] == [
        (1, None),
        (2, None),
        (1, None),
        (2, None),
        (3, None),
    ]
    out = await console.run("""
        issue list breached
        issue I3
    """)
    assert (
        "Awaiting triage (2)\n• 🔴 I1 Login fails [high] — ⚠ triage SLA missed · "
        "⚠ plan SLA missed\n• ⚪ I2 Typo on the pricing page [low] — ⚠ triage SLA missed" in out
    )
    assert (
        "In progress (1)\n• 🟠 I3 Invoice PDF blank [medium] — @erin · 研发部 · ETA 11-26 · "
        "⚠ plan SLA missed\n3 shown · 3 with a missed SLA · filter: SLA missed" in out
    )
    assert "Plan SLA (24 h): ⚠ missed — due 11-24 09:00, 1m ago" in out
    assert "  11-24 09:01 Concord — solution plan SLA missed (due 11-24 09:00), escalated" in out


async def test_verify_resolves_the_escalation(
    app: App, clock: ManualClock, console: ConsoleDriver
) -> None:
    await console.run(SETUP)
    clock.set(START + timedelta(hours=3))
    await tick(app, clock, console)
    out = await console.run("""
        :as carol
        issue I1 triage primary:研发部 owner:@erin eta:D+1
        :as erin
        issue I1 progress "rollback"
        issue I1 resolve
        :as frank
        issue I1 verify "works again"
    """)
    assert "Recorded as the solution plan — late (it was due 11-23 11:00)." in out
    assert "Escalation E1 resolved." in out
    async with app.sessions() as session:
        escalation = (await session.exec(select(Escalation).where(Escalation.number == 1))).one()
    assert escalation.status == "resolved"
    assert escalation.resolved_by is not None


async def test_alerts_in_chinese_wait_for_the_end_of_quiet_hours(
    app: App, clock: ManualClock, console: ConsoleDriver
) -> None:
    console.set_locale("zh-CN")
    await console.run(SETUP)
    clock.set(START + timedelta(hours=12))  # 21:00
    await console.run(":as frank\n问题 上报 “夜间支付失败” 紧急程度:中 分类:支付")
    clock.set(START + timedelta(hours=14, minutes=5))  # 23:05, quiet hours in the group
    start = len(console.output)
    assert "I4" not in await tick(app, clock, console)
    clock.set(START + timedelta(hours=23))  # 08:00 next morning
    await app.deliver()
    out = "".join(console.output[start:])
    assert (
        "⏰ 响应超时：I4 夜间支付失败【中】未在 2 小时内分派（时限 11-23 23:00）。"
        "请 @carol @alice 尽快分派：`问题 I4 分派 主责:部门 负责人:@某人 预计:日期`。"
    ) in out
    # The escalation's announcement keeps its place behind the alert in each group.
    assert out.index("⏰ 响应超时：I4") < out.index(
        "I4 夜间支付失败：I4 夜间支付失败 分派超时（时限 11-23 23:00）"
    )

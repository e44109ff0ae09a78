"""Step deadlines in working days (mainland-China calendar with make-up days, weekends, the
approver's zone), and the scheduler job: overdue approvals reminded once then escalated,
overdue returns reminded once per working day — exactly once, with an injected clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dates.clock import ManualClock
from bot.dates.workdays import make_calendar
from bot.main import App
from bot.settings import Settings
from commands.requests.deadlines import step_deadline
from storage.tables import AuditLog, Escalation, NotificationKey, Outbox
from tests.console_driver import ConsoleDriver
from tests.request_helpers import all_rows, request_row, run_job, setup, steps_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NEW = ':as carol\nrequest new budget "Ads" amount:800 from:D+20 to:D+22 purpose:"p" return:"r"'


def at(*args: int, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "due", "shown"),
    [
        # Tue before National Day 2025: 10-01..08 are off, so +1 is Thu 10-09, +2 Fri 10-10.
        (at(2025, 9, 30, 10), at(2025, 10, 10, 10), "10-10 10:00"),
        # Fri 09-26: Sun 09-28 is a make-up working day, so +2 lands on Mon 09-29.
        (at(2025, 9, 26, 10), at(2025, 9, 29, 10), "09-29 10:00"),
        # Thu 10-09: Fri 10-10, then the make-up Saturday 10-11.
        (at(2025, 10, 9, 10), at(2025, 10, 11, 10), "10-11 10:00"),
        # On a holiday the clock starts at 09:00 of the next working day (10-09).
        (at(2025, 10, 3, 16), at(2025, 10, 11, 9), "10-11 09:00"),
        # Across a plain weekend: Fri → Tue.
        (at(2026, 11, 27, 10), at(2026, 12, 1, 10), "12-01 10:00"),
        # Asked on a Saturday: Mon 09:00 + 2 working days.
        (at(2026, 11, 28, 15), at(2026, 12, 2, 9), "12-02 09:00"),
    ],
)
async def test_step_deadline_counts_working_days(
    console: ConsoleDriver, app: App, clock: ManualClock, start: datetime, due: datetime, shown: str
) -> None:
    clock.set(start)
    await setup(console, "en")
    out = await console.run(NEW)
    step = (await steps_of(app))[0]
    assert step.due_at is not None
    assert step.due_at == due
    assert f"Deadline: {shown} (Asia/Shanghai)" in out


async def test_deadline_is_counted_and_shown_in_the_approvers_zone(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    clock.set(at(2026, 11, 27, 10))  # Fri 10:00 Shanghai = Thu 18:00 in Los Angeles
    await setup(console, "en")
    await console.run("member @bob tz:America/Los_Angeles")
    out = await console.run(NEW)
    step = (await steps_of(app))[0]
    assert step.due_at == at(2026, 11, 30, 18, zone=LOS_ANGELES)  # Thu → Fri, Mon
    assert "Deadline: 11-30 18:00 (America/Los_Angeles)" in out


async def _count(app: App, model: type, **where: str) -> int:
    rows = await all_rows(app, model)
    return sum(1 for r in rows if all(getattr(r, k) == v for k, v in where.items()))


async def test_overdue_step_is_reminded_once_and_escalated_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await setup(console, "en")
    await console.run(NEW)  # Mon 11-23 09:00; bob's step is due Wed 11-25 09:00
    clock.set(at(2026, 11, 25, 8, 59))
    assert await run_job(console) == ""
    clock.set(at(2026, 11, 25, 9, 1))
    out = await run_job(console)
    assert (
        "[to @bob] ⏰ Overdue approval: R1 budget: Ads (P1 Apollo) has waited for you since "
        "11-23 09:00 (deadline 11-25 09:00). Please approve, reject or suggest a change on its "
        "card, or type `request R1 approve` in the project group." in out
    )
    assert (
        "⬆ Escalation E1 · L1 on R1 Ads: approval step 1 (@bob) passed its deadline 11-25 09:00"
        in out
    )
    for later in (at(2026, 11, 25, 9, 6), at(2026, 11, 25, 15, 0)):
        clock.set(later)
        assert await run_job(console) == ""
    step = (await steps_of(app))[0]
    assert await _count(app, NotificationKey, key=f"approval:{step.id}:overdue") == 1
    assert await _count(app, Escalation) == 1
    assert await _count(app, AuditLog, action="approval.overdue") == 1
    assert await _count(app, AuditLog, action="escalation.open") == 1

    await console.run(":as bob\nrequest R1 approve")  # deciding resolves the escalation
    (escalation,) = await all_rows(app, Escalation)
    assert escalation.status == "resolved"
    assert (await steps_of(app))[1].due_at == at(2026, 11, 27, 15, 0)


async def test_overdue_reminder_waits_for_quiet_hours_to_end(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    clock.set(at(2026, 11, 23, 22, 30))
    await setup(console, "en")
    await console.run(NEW)
    clock.set(at(2026, 11, 25, 22, 31))  # due 22:30, inside 22:00-08:00
    assert "Overdue approval" not in await run_job(console)
    rows = [r for r in await all_rows(app, Outbox) if "Overdue approval" in r.payload]
    assert [r.next_attempt_at for r in rows] == [at(2026, 11, 26, 8, 0)]
    clock.set(at(2026, 11, 26, 8, 0))
    out = await run_job(console)
    assert out.count("[to @bob] ⏰ Overdue approval") == 1


async def test_overdue_charter_step_is_reminded_and_escalated_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await setup(console, "zh-CN")
    await console.run(":as alice\n项目 章程")
    clock.set(at(2026, 11, 25, 9, 30))
    out = await run_job(console)
    assert out.count("⏰ 审批逾期：P1 阿波罗 项目章程 自 11-23 09:00 起等待你审批") == 2
    assert "`项目 章程 同意`" in out
    assert "⬆ 升级 E1 · L1：P1 阿波罗" in out
    assert await _count(app, Escalation) == 1
    assert await run_job(console) == ""


async def test_overdue_return_is_reminded_once_per_working_day(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await setup(console, "en")
    await console.run("""
        :as carol
        request new material "Booth" from:12-01 to:12-02 purpose:"Fair" return:"Back to admin"
        :as bob
        request R1 approve
        :as dave
        request R1 approve
        :as carol
        request R1 received
    """)
    reminder = "[to @carol] ⏰ R1 Booth (P1 Apollo): the window ended 12-02 23:59. Please return it"
    days = {
        at(2026, 12, 2, 18): 0,  # still inside the window
        at(2026, 12, 3, 9): 1,  # Thu: the first reminder
        at(2026, 12, 3, 15): 0,  # same day: nothing more
        at(2026, 12, 4, 9): 1,  # Fri
        at(2026, 12, 5, 9): 0,  # Sat: not a working day
        at(2026, 12, 6, 9): 0,  # Sun
        at(2026, 12, 7, 9): 1,  # Mon
    }
    for moment, expected in days.items():
        clock.set(moment)
        assert (await run_job(console)).count(reminder) == expected, moment
    mine = await console.run("my")
    assert "R1 Booth — window 12-01 → 12-02 has ended; return it" in mine
    await console.run('request R1 return "Returned to the front desk"')
    clock.set(at(2026, 12, 8, 9))
    assert await run_job(console) == ""
    assert await _count(app, AuditLog, action="request.return_reminder") == 3
    assert (await request_row(app)).return_reminded_at == at(2026, 12, 7, 9)


async def test_approved_but_never_received_is_reminded_to_confirm_or_withdraw(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await setup(console, "zh-CN")
    await console.run("""
        :as carol
        申请 物料 "展架" 从:12-01 至:12-02 用途:"展会" 归还:"归还行政部"
        :as bob
        申请 R1 同意
        :as dave
        申请 R1 同意
    """)
    clock.set(at(2026, 12, 3, 9))
    out = await run_job(console)
    assert (
        "[to @carol] ⏰ R1 展架（P1 阿波罗）：使用期已于 12-02 23:59 结束，但尚未领取确认。" in out
    )
    assert "`申请 R1 撤回`" in out


async def test_advancing_the_console_clock_runs_the_job(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await setup(console, "zh-CN")
    await console.run(':as carol\n申请 预算 "广告" 金额:800 从:D+20 至:D+22 用途:"p" 归还:"r"')
    clock.set(at(2026, 11, 25, 8, 50))
    out = await console.run(":advance 30m")
    assert (
        out.count("[to @bob] ⏰ 审批逾期：R1 预算：广告（P1 阿波罗） 自 11-23 09:00 起等待你审批")
        == 1
    )
    assert "第 1 步审批（@bob）已超过截止时间 11-25 09:00" in out


def test_workspace_calendar_is_configurable() -> None:
    """With ``calendar = "weekends"`` National Day counts as working days; with CN it does not."""
    start = at(2025, 9, 30, 10)
    settings = Settings()
    assert step_deadline(make_calendar("weekends"), settings, start, SHANGHAI) == at(
        2025, 10, 2, 10
    )
    assert step_deadline(make_calendar("CN"), settings, start, SHANGHAI) == at(2025, 10, 10, 10)

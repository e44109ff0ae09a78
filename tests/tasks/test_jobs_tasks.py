"""Task reminders through the console: due soon, overdue with escalation, time zones, quiet
hours, a public holiday, and catch-up after downtime — in both languages."""

from __future__ import annotations

from datetime import timedelta

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from tests.console_driver import ConsoleDriver
from tests.scheduling import (
    LOS_ANGELES,
    SHANGHAI,
    around,
    at,
    escalations,
    keys,
    outbox_rows,
    text_of,
)

SETUP = """
    project new "Apollo" depts:研发部
    settings tz:Asia/Shanghai
    task add "Write spec" owner:@bob due:11-25
"""


async def test_due_soon_the_working_day_before_then_overdue_with_escalation(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    day1 = await console.run(":advance 1d")  # to Tue 09:00
    assert day1.strip().split("\n\n") == [
        "⏰ T1 Write spec is due 11-25 — @bob, please deliver it to the standard, or say now "
        "if it will slip. (PM: @me)",
        "[to @bob] ⏰ Your task T1 Write spec in Apollo is due 11-25.",
    ]
    assert await around(console, clock, at("2026-11-26 09:00")) == ""  # Thu: late by a day
    day4 = await around(console, clock, at("2026-11-27 09:00"))  # Fri: by more than a day
    assert (
        "⚠ T1 Write spec is overdue by 2d (due 11-25). @bob @me — please deliver it or agree "
        "on a new deadline; it is being escalated." in day4
    )
    assert "[to @bob] ⚠ T1 Write spec in Apollo (@bob) is overdue by 2d (due 11-25)." in day4
    assert "[to @me] ⚠ T1 Write spec in Apollo (@bob) is overdue by 2d" in day4
    assert "Escalation E1 · L1 on T1 Write spec: overdue since 11-25" in day4
    (escalation,) = await escalations(app)
    assert (escalation.subject_type, escalation.level, escalation.opened_by) == ("task", 1, None)
    markers = {k: v for k, v in (await keys(app, "task:1:")).items() if k.count(":") == 3}
    assert markers == {
        "task:1:due_soon:20261125T1559": to_utc(at("2026-11-24 09:00")),
        "task:1:overdue:20261125T1559": to_utc(at("2026-11-27 09:00")),
    }


async def test_reminders_in_chinese(console: ConsoleDriver, clock: ManualClock) -> None:
    console.set_locale("zh-CN")
    await console.run("""
        项目 新建 "阿波罗" 参与部门:研发部
        任务 新建 "需求文档" 负责人:@bob 截止:11-25
    """)
    out = await around(console, clock, at("2026-11-24 09:00"))
    out += await around(console, clock, at("2026-11-27 09:00"))
    assert "⏰ **T1 需求文档**" not in out  # markup is rendered, not printed
    assert "⏰ T1 需求文档 将于 11-25 截止 — @bob，请按交付标准按时交付" in out
    assert "[to @bob] ⏰ 您在 阿波罗 的任务 T1 需求文档 将于 11-25 截止。" in out
    assert "⚠ T1 需求文档 已逾期 2 天（截止 11-25）。@bob @me" in out
    assert "升级" in out


async def test_member_in_los_angeles_gets_times_in_her_zone_and_no_night_pings(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run("""
        project new "Apollo"
        settings tz:Asia/Shanghai
        member @frank tz:America/Los_Angeles
        task add "API keys" owner:@frank due:"11-25 10:00"
    """)
    # The bot is down until Tue 16:00 in Shanghai — midnight in Los Angeles.
    clock.set(at("2026-11-24 16:00"))
    out = await console.run(":advance 5m")
    assert "⏰ T1 API keys is due 11-25 10:00 — @frank" in out  # the group is not held
    assert "[to @frank]" not in out
    (_, dm) = await outbox_rows(app)
    assert "due 11-24 18:00" in text_of(dm)  # 11-25 10:00 Shanghai in Los Angeles
    assert dm.next_attempt_at == to_utc(at("2026-11-24 08:00", LOS_ANGELES))
    assert await console.run(":advance 7h50m") == ""  # 23:55 Shanghai, 07:55 in LA
    morning = await console.run(":advance 10m")
    assert morning.strip() == "[to @frank] ⏰ Your task T1 API keys in Apollo is due 11-24 18:00."


async def test_national_day_holiday_moves_both_reminders(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    clock.set(at("2026-09-25 09:00"))
    await console.run("""
        project new "Apollo"
        task add "After the holiday" owner:@bob due:2026-10-08
        task add "Before the holiday" owner:@bob due:2026-09-30
    """)
    for moment in ("2026-09-29 09:00", "2026-09-30 08:55", "2026-09-30 09:00"):
        await app.scheduler.tick(to_utc(at(moment)))
    soon = await keys(app, "task:1:due_soon")
    assert set(soon.values()) == {to_utc(at("2026-09-30 09:00"))}  # last working day before
    for moment in ("2026-10-02 09:00", "2026-10-08 09:00", "2026-10-09 08:55"):
        await app.scheduler.tick(to_utc(at(moment)))
    assert await keys(app, "task:2:overdue") == {}  # nobody is pinged during the holiday
    await app.scheduler.tick(to_utc(at("2026-10-09 09:00")))
    overdue = await keys(app, "task:2:overdue")
    assert set(overdue.values()) == {to_utc(at("2026-10-09 09:00"))}


async def test_catch_up_after_three_days_down_sends_each_key_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run("""
        project new "Apollo"
        task add "Due Tuesday" owner:@bob due:11-24
        task add "Due Wednesday" owner:@carol due:11-25
        member @bob daily:on
    """)
    clock.set(clock.now() + timedelta(days=3))  # down Mon 09:00 → Thu 09:00
    out = await console.run(":advance 2h")
    assert out.count("T1 Due Tuesday is overdue") == 1
    assert out.count("[to @bob] ⚠ T1 Due Tuesday") == 1
    assert out.count("Good morning, bob") == 1
    assert "Due Wednesday is due" not in out  # a due-soon for a past deadline is stale
    assert "T2 Due Wednesday is overdue" not in out  # not late enough yet
    again = await around(console, clock, at("2026-11-27 09:00"))
    assert "T1 Due Tuesday is overdue" not in again
    assert again.count("T2 Due Wednesday is overdue") == 1
    rows = await outbox_rows(app)
    assert len({r.id for r in rows}) == len(rows)
    ledger = await keys(app)
    assert len([k for k in ledger if k.startswith("task:1:overdue") and ":chat:" in k]) == 1


async def test_a_moved_deadline_earns_new_reminders_and_done_tasks_stay_quiet(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP + 'task add "Mockups" owner:@grace due:11-24\n')
    await console.run(":advance 1h\ntask T2 start\ntask T2 done\ntask T1 due 11-27")
    out = await around(console, clock, at("2026-11-26 09:00"))
    assert "T2 Mockups" not in out
    assert out.count("⏰ T1 Write spec is due 11-27") == 1  # on Thu 11-26
    soon = await keys(app, "task:1:due_soon")
    assert [k for k in soon if k.count(":") == 3] == ["task:1:due_soon:20261127T1559"]
    assert min(soon.values()).astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "11-26 09:00"

"""Opt-in daily DMs: 09:00 in the member's zone on working days, overdue and due-soon tasks,
once per day, silent when there is nothing to say, and off again on request."""

from __future__ import annotations

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from tests.console_driver import ConsoleDriver
from tests.scheduling import LOS_ANGELES, around, at, keys

SETUP = """
    project new "Apollo"
    member @frank tz:America/Los_Angeles daily:on
    task add "API keys" owner:@frank due:11-20
    task add "Load test" owner:@frank due:11-25
    task add "Launch" owner:@frank due:12-20
"""


async def test_daily_reminder_at_nine_in_the_members_zone(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    clock.set(at("2026-11-24 08:30", LOS_ANGELES))  # Tuesday morning in Los Angeles
    assert "Good morning" not in await console.run(":advance 15m")
    out = await console.run(":advance 30m")
    assert (
        "[to @frank] ☀ Good morning, frank — your tasks for 2026-11-24\n"
        "Overdue (1)\n"
        "• T1 API keys · Apollo · due 11-20 (5d overdue)\n"
        "Due soon (1)\n"
        "• T2 Load test · Apollo · due 11-25\n"
        "`my` lists all your open work · `member @frank daily:off` stops these messages"
    ) in out
    assert "Launch" not in out
    daily = await keys(app, "daily:")
    assert daily["daily:2:2026-11-24"] == to_utc(at("2026-11-24 09:00", LOS_ANGELES))
    assert "Good morning" not in await console.run(":advance 6h")


async def test_no_reminder_on_the_weekend_nothing_sent_when_nothing_is_due_and_opt_out(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run("""
        project new "Apollo"
        member @frank tz:America/Los_Angeles daily:on
        task add "Launch" owner:@frank due:12-20
    """)
    for day in ("2026-11-28", "2026-11-29", "2026-11-30"):  # Sat, Sun; Mon: nothing due
        assert "Good morning" not in await around(console, clock, at(f"{day} 09:00", LOS_ANGELES))
    assert set(await keys(app, "daily:")) == {"daily:2:2026-11-30"}
    await console.run('task add "Budget" owner:@frank due:12-01\nmember @frank daily:off')
    assert "Good morning" not in await around(console, clock, at("2026-12-01 09:00", LOS_ANGELES))


async def test_daily_reminder_in_chinese(console: ConsoleDriver, clock: ManualClock) -> None:
    console.set_locale("zh-CN")
    await console.run("""
        项目 新建 "阿波罗"
        成员 @me daily:on
        任务 新建 "预算申请" 负责人:@me 截止:11-24
    """)
    clock.set(at("2026-11-24 08:45"))
    out = await console.run(":advance 30m")
    assert (
        "☀ 早上好，me — 您 2026-11-24 的任务\n即将截止（1）\n• T1 预算申请 · 阿波罗 · 截止 11-24"
        in out
    )

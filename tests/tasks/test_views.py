"""Project card, phases, board by phase, stand-up, departments, members and chat settings."""

from __future__ import annotations

from datetime import timedelta

from bot.dates.clock import ManualClock
from tests.console_driver import ConsoleDriver

SETUP = """
    :as pm
    dept add 研发部 leader:@lead tz:Asia/Shanghai region:华东
    dept add Sales leader:@sam tz:America/Los_Angeles
    project new "Apollo" goal:"Ship v2" start:2026-11-23 end:2027-01-31 depts:研发部,Sales sponsor:@vp coordinator:@coo
    phase add Design milestone:12-05
    phase add Build
    task add "Spec" phase:Design owner:@dev dept:研发部 due:11-25
    task add "Pitch" phase:Build owner:@sam dept:Sales due:12-10
    task add "Loose end" owner:@dev
"""


async def test_project_card(console: ConsoleDriver) -> None:
    await console.run(SETUP + "task T1 start\ntask T1 review\ntask T1 done\n")
    out = await console.say("project")
    for expected in (
        "P1 · Apollo",
        "Goal: Ship v2",
        "Dates: 2026-11-23 → 2027-01-31",
        "Owner: @pm",
        "Sponsor: @vp",
        "Coordinator: @coo",
        "Departments: 研发部, Sales",
        "Progress: 1/3 tasks done (33%)",
        "1. Design — milestone 2026-12-05",
        "2. Build",
    ):
        assert expected in out, out
    assert "“x” is not something `project` can do" in await console.say("project x")


async def test_board_by_phase(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.say("board by:phase")
    assert "Design — milestone 2026-12-05 (1)\n• T1 Spec — @dev · 研发部 · due 11-25 · to do" in out
    assert "Build (1)\n• T2 Pitch — @sam · Sales · due 12-10 · to do" in out
    assert "No phase (1)\n• T3 Loose end — @dev · to do" in out
    assert "grouped by status or by phase" in await console.say("board by:colour")


async def test_standup_shows_blocked_and_last_week(
    console: ConsoleDriver, clock: ManualClock
) -> None:
    await console.run(SETUP + 'task T2 start\ntask T2 block "no budget"\n')
    clock.advance(timedelta(days=8))
    await console.say("task T3 start")
    out = await console.say("standup")
    assert "Stand-up — Apollo" in out
    assert "Blocked (1)\n⛔ T2 Pitch — @sam · Sales" in out
    assert "Overdue (1)\n⚠ T1 Spec" in out
    assert "Changes in the last 7 days (1)" in out
    assert "T3 Loose end: to do → in progress (@pm)" in out
    assert "no budget" in out


async def test_departments_and_members(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.say("dept")
    assert "• 研发部 — leader @lead · 华东 · Asia/Shanghai" in out
    assert "• Sales — leader @sam · America/Los_Angeles" in out
    out = await console.say("dept Sales")
    assert "Members: @sam" in out
    out = await console.say("member @sam tz:America/Los_Angeles locale:zh-CN")
    assert "Time zone: America/Los_Angeles" in out
    assert "is not a time zone" in await console.say("member @sam tz:Mars/Olympus")
    assert "is not a language I speak" in await console.say("member @sam locale:fr")
    assert "exists already" in await console.say("dept add sales")


async def test_member_locale_and_zone_change_how_replies_read(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    await console.say("member @pm locale:zh-CN tz:America/Los_Angeles")
    out = await console.say("task T2")
    assert "T2 · Pitch【未开始】" in out
    assert "截止: 12-10" in out  # 23:59 Shanghai on 12-10 is still 12-10 in LA (07:59)
    out = await console.say('task add "Call" due:明天 15:00')
    assert "截止 11-23 15:00" in out  # LA's "tomorrow" is Shanghai's Monday evening… in LA time


async def test_chat_settings(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.say(
        'settings locale:zh-CN tz:Asia/Tokyo digest:"周四 16:30" quiet:"23:00-07:30"'
    )
    assert "已更新 console 的设置" in out
    assert "周报时间: 周四 16:30" in out
    assert "免打扰时段: 23:00-07:30" in out
    assert "无法识别每周时间" in await console.say('设置 周报:"someday"')
    assert "只有 @pm, @vp 可以修改项目 P1" in await console.run(":as dev\n设置 语言:en")


async def test_assign_by_mention_and_by_name(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    assert "T3 Loose end is now owned by @sam." in await console.say("task T3 assign @sam")
    assert "T3 Loose end is now owned by @dev." in await console.say("task T3 assign dev")
    assert "I don't know anybody called “nobody”" in await console.say("task T3 assign nobody")
    assert "Missing @person." in await console.say("task T3 assign")

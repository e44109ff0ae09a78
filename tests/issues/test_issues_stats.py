"""``issue stats`` / ``问题 统计``: the coordinator's weekly figures over a controlled week."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.dates.clock import ManualClock
from tests.conftest import START
from tests.console_driver import ConsoleDriver

SETUP = """
    :as alice
    dept add 研发部 leader:@bob
    dept add 运维部 leader:@dave
    member @erin dept:研发部
    member @gina dept:运维部
    project new "Apollo" depts:研发部,运维部 coordinator:@carol
    :as frank
    issue report "Login fails" urgency:high category:登录
    issue report "SMS code late" category:登录
    issue report "Parcel lost" urgency:low category:物流
    issue report "Parcel late" category:物流
    issue report "Scratched case" urgency:low category:质量
    issue report "Wrong colour" category:质量
    issue report "Refund stuck" category:支付
    issue report "Password reset loop" urgency:low category:登录
    issue report "Slow homepage"
    issue report "Broken link"
"""


async def _at(console: ConsoleDriver, clock: ManualClock, delta: timedelta, script: str) -> str:
    clock.set(START + delta)
    return await console.run(script)


async def _week(console: ConsoleDriver, clock: ManualClock) -> None:
    """Monday 09:00 ten reports; triage, plans, a reopen and resolutions over the week."""
    await console.run(SETUP)
    h = timedelta(hours=1)
    await _at(
        console, clock, h / 2, ":as carol\nissue I1 triage primary:研发部 owner:@erin eta:D+3"
    )
    await _at(console, clock, h, ':as erin\nissue I1 progress "rollback"')
    await _at(
        console, clock, 1.5 * h, ":as carol\nissue I2 triage primary:运维部 owner:@gina eta:D+3"
    )
    await _at(console, clock, 2 * h, ':as gina\nissue I2 progress "new SMS vendor"')
    await _at(
        console, clock, 3 * h, ":as carol\nissue I3 triage primary:研发部 owner:@erin eta:D+3"
    )
    await _at(console, clock, 24 * h, ":as erin\nissue I1 resolve")
    await _at(console, clock, 25 * h, ':as frank\nissue I1 reopen "still fails"')
    await _at(console, clock, 36 * h, ":as erin\nissue I1 resolve\n:as frank\nissue I1 verify")
    await _at(console, clock, 48 * h, ":as gina\nissue I2 resolve")
    clock.set(START + timedelta(days=4, hours=6))  # Friday 15:00


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_weekly_statistics(console: ConsoleDriver, clock: ManualClock, locale: str) -> None:
    console.set_locale(locale)
    await _week(console, clock)
    out = await console.run("issue stats" if locale == "en" else "问题 统计")
    expected = {
        "en": [
            "Issue statistics — Apollo, 11-20 → 11-27",
            "Issues: 10 reported, 9 not closed yet",
            "By category: 登录 3 · 物流 2 · 质量 2 · 支付 1 · (no category) 2",
            "By department: 研发部 2 · 运维部 1 · awaiting triage 7",
            "By urgency: high 1 · medium 6 · low 3",
            "Mean time to triage: 1h 40m",  # (30m + 1h30m + 3h) / 3
            "Mean time to resolve: 1d 18h",  # (1d 12h after the reopen + 2d) / 2
            "SLA breaches: 16 (triage 8, plan 8)",
            "Reopens: 1",
            "Top category: 登录 issues are 30% of all.",
        ],
        "zh-CN": [
            "问题统计 —— Apollo，11-20 → 11-27",
            "问题数: 上报 10 个，未关闭 9 个",
            "按分类: 登录 3 · 物流 2 · 质量 2 · 支付 1 · （未分类） 2",
            "按部门: 研发部 2 · 运维部 1 · 待分派 7",
            "按紧急程度: 高 1 · 中 6 · 低 3",
            "平均分派用时: 1小时40分钟",
            "平均解决用时: 1天18小时",
            "超时次数: 16 次（分派 8，方案 8）",
            "重开次数: 1",
            "登录问题占比30%",
        ],
    }[locale]
    for line in expected:
        assert line in out, f"missing:\n{line}\n--- in ---\n{out}"


async def test_statistics_window(console: ConsoleDriver, clock: ManualClock) -> None:
    await _week(console, clock)
    out = await console.run("issue stats days:1\nissue stats since:11-24\nissue stats since:11-23")
    assert out.count("No issues were reported in this period.") == 2
    assert "Issue statistics — Apollo, 11-23 → 11-27\nIssues: 10 reported" in out
    clock.set(START + timedelta(days=8))  # next Tuesday: last week's issues drop out
    out = await console.run("issue stats\n问题 统计 天数:30")
    assert "No issues were reported in this period." in out
    assert "Issues: 10 reported, 9 not closed yet" in out

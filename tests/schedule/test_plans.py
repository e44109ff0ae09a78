"""The communication plan (``plan`` / ``沟通计划``) and its job: items are added, listed and
removed in both languages; each is posted into every project group when due — exactly once —
and moves on to its next occurrence (daily items on working days only)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.dates.clock import ManualClock, to_aware_utc
from bot.main import App
from storage.tables import AuditLog, NotificationKey, Outbox, PlanItem
from tests.conftest import SHANGHAI
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import FRIDAY_1500, SETUP, names, rows, run_jobs

ADD = {
    "en": """
        plan add "Weekly progress report" every:"fri 15:00" owner:@alice output:"周报" who:"all department contacts" channel:"project group"
        plan add "Stand-up notes" every:"daily 09:00" note:"skip on holidays"
        plan
        plan remove 2
        plan
    """,
    "zh-CN": """
        沟通计划 新建 "项目周报" every:"周五 15:00" 负责人:@alice 输出:"周报" 对象:"各部门接口人" 渠道:"项目群"
        沟通计划 新建 "站会纪要" 时间:每天 09:00 备注:"节假日顺延"
        沟通计划
        沟通计划 删除 2
        沟通计划
    """,
}
EXPECTED = {
    "en": [
        "🗓 Communication plan item 1: Weekly progress report — every Fri 15:00; "
        "next 11-27 15:00 (Asia/Shanghai).\nWho: all department contacts\n"
        "Channel: project group\nOwner: @alice\nExpected output: 周报",
        "🗓 Communication plan item 2: Stand-up notes — every working day 09:00; "
        "next 11-24 09:00 (Asia/Shanghai).\nNote: skip on holidays",
        "Communication plan — P1 Apollo\n"
        "# | What | Who | Channel | When | Owner | Output | Note | Next\n"
        "1 | Weekly progress report | all department contacts | project group | every Fri 15:00 "
        "| @alice | 周报 | — | 11-27 15:00\n"
        "2 | Stand-up notes | — | — | every working day 09:00 | — | — | skip on holidays "
        "| 11-24 09:00\n"
        "Times in Asia/Shanghai; the bot posts each item into the project groups when it is due.",
        "Removed item 2 “Stand-up notes” from the communication plan.",
    ],
    "zh-CN": [
        "🗓 沟通计划第 1 项：项目周报 —— 每周五 15:00；下次 11-27 15:00（Asia/Shanghai）。\n"
        "参与对象: 各部门接口人\n沟通渠道: 项目群\n负责人: @alice\n预期输出: 周报",
        "🗓 沟通计划第 2 项：站会纪要 —— 每个工作日 09:00；下次 11-24 09:00（Asia/Shanghai）。",
        "沟通计划 —— P1 Apollo\n"
        "序号 | 沟通内容 | 参与对象 | 沟通渠道 | 频率/时间 | 负责人 | 预期输出 | 备注 | 下次\n"
        "1 | 项目周报 | 各部门接口人 | 项目群 | 每周五 15:00 | @alice | 周报 | — | 11-27 15:00\n"
        "2 | 站会纪要 | — | — | 每个工作日 09:00 | — | — | 节假日顺延 | 11-24 09:00",
        "已从沟通计划中删除第 2 项“站会纪要”。",
    ],
}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_add_list_remove(console: ConsoleDriver, app: App, locale: str) -> None:
    console.set_locale(locale)
    await console.run(SETUP[locale])
    out = await console.run(ADD[locale])
    for expected in EXPECTED[locale]:
        assert expected in out, f"missing:\n{expected}\n--- in ---\n{out}"
    (item,) = await rows(app, PlanItem)
    who = await names(app)
    assert (item.weekday, item.time, who[item.owner_id]) == (4, "15:00", "alice")
    assert item.output == "周报" and item.channel in ("project group", "项目群")
    assert to_aware_utc(item.next_due_at) == to_aware_utc(FRIDAY_1500)
    audit = [r for r in await rows(app, AuditLog) if r.entity == "plan_item"]
    assert [(r.action, who[r.actor_id]) for r in audit] == [
        ("plan.add", "alice"),
        ("plan.add", "alice"),
        ("plan.remove", "alice"),
    ]
    assert json.loads(audit[2].detail or "{}")["n"] == 2


async def test_refusals_change_nothing(console: ConsoleDriver, app: App) -> None:
    await console.run(SETUP["en"] + 'plan add "Weekly report" every:"fri 15:00" owner:@erin')
    before = (len(await rows(app, PlanItem)), len(await rows(app, AuditLog)))
    out = await console.run("""
        plan add "Report"
        plan add "Report" every:someday
        plan add "Report" every:fri
        plan add "Report" every:weekly
        plan add every:"fri 15:00"
        plan remove 5
        plan remove
        plan frobnicate
        :as dan
        plan add "My report" every:"fri 15:00"
        plan remove 1
        :in elsewhere
        plan
    """)
    for expected in (
        'When is it due? Give every:"fri 15:00"',
        "“someday” is not a recurrence",
        "“fri” needs a day and a time",
        "“weekly” needs a day and a time",
        'Usage: plan add "<what>" every:"fri 15:00"|"daily 09:00"',
        "Missing what is communicated (in quotes).",
        "There is no item 5 in the communication plan (1 items)",
        "Missing N.",
        "“frobnicate” is not something `plan` can do.",
        "Only @alice may change the communication plan",
        "Only @alice, @erin may change the communication plan",
        "This chat is not bound to a project yet.",
    ):
        assert expected in out, f"missing {expected!r} in\n{out}"
    assert (len(await rows(app, PlanItem)), len(await rows(app, AuditLog))) == before
    out = await console.run(":in console\n:as erin\nplan remove 1")  # the item's owner may
    assert "Removed item 1 “Weekly report”" in out


async def test_job_posts_each_item_once_into_every_group(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(
        SETUP["en"]
        + """
        :in ops-room
        project bind P1
        settings locale:zh-CN
        :in console
        plan add "Weekly progress report" every:"fri 15:00" owner:@alice output:"周报"
        """
    )
    clock.set(FRIDAY_1500 - timedelta(minutes=1))
    assert await run_jobs(app, clock, console, plans=True) == ""
    clock.set(FRIDAY_1500)
    out = await run_jobs(app, clock, console, plans=True)
    assert (
        "📣 Communication plan: Weekly progress report (every Fri 15:00)\n"
        "Owner: @alice\nExpected output: 周报"
    ) in out
    assert (
        "[to ops-room] 📣 沟通计划：Weekly progress report（每周五 15:00）\n负责人: @alice" in out
    )
    sent = len(await rows(app, Outbox))
    assert await run_jobs(app, clock, console, plans=True) == ""
    assert len(await rows(app, Outbox)) == sent
    (item,) = await rows(app, PlanItem)
    assert to_aware_utc(item.next_due_at) == to_aware_utc(FRIDAY_1500 + timedelta(days=7))
    keys = sorted(k.key for k in await rows(app, NotificationKey))
    assert keys == [f"plan:{item.id}:2026-11-27:1", f"plan:{item.id}:2026-11-27:2"]

    clock.set(FRIDAY_1500 + timedelta(days=23))  # three weeks of downtime: posted once
    out = await run_jobs(app, clock, console, plans=True)
    assert out.count("📣 Communication plan: Weekly progress report") == 1
    (item,) = await rows(app, PlanItem)
    assert to_aware_utc(item.next_due_at) == to_aware_utc(FRIDAY_1500 + timedelta(days=28))
    posts = [r for r in await rows(app, AuditLog) if r.action == "plan.post"]
    assert len(posts) == 2 and all(r.actor_id is None for r in posts)


async def test_daily_items_skip_weekends_and_holidays_and_honour_make_up_days(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"])
    clock.set(datetime(2026, 9, 30, 9, 30, tzinfo=SHANGHAI))  # Wed before the National Day week
    await console.run('plan add "Stand-up notes" every:"每天 09:00"')
    due = []
    for _ in range(3):
        (item,) = await rows(app, PlanItem)
        due.append(to_aware_utc(item.next_due_at).astimezone(SHANGHAI).date().isoformat())
        clock.set(to_aware_utc(item.next_due_at))
        assert "📣 Communication plan: Stand-up notes" in await run_jobs(
            app, clock, console, plans=True
        )
    assert due == ["2026-10-08", "2026-10-09", "2026-10-10"]  # 10-10 is a make-up Saturday
    (item,) = await rows(app, PlanItem)
    assert to_aware_utc(item.next_due_at).astimezone(SHANGHAI).date().isoformat() == "2026-10-12"

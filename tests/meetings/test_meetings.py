"""Issue #3 acceptance (meetings): a meeting scheduled with people and a department, shown in
two time zones, with decisions and action items that land on the board as tasks, and minutes
published to the group and every participant's DMs — in both languages, with the rows, the
task history and the audit log asserted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.dates.clock import ManualClock, to_aware_utc
from bot.main import App
from storage.tables import (
    AgendaItem,
    AuditLog,
    Decision,
    Department,
    Meeting,
    MeetingParticipant,
    Task,
    TaskEvent,
)
from tests.conftest import SHANGHAI
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import (
    FRIDAY_1500,
    SETUP,
    audit_actions,
    dm_messages,
    names,
    rows,
    run_script,
)

SCRIPTS = Path(__file__).parents[1] / "scripts"
SCRIPT_FILE = {"en": "meeting_flow_en.txt", "zh-CN": "meeting_flow_zh.txt"}

EXPECTED = {
    "en": [
        "📅 Scheduled M1 Launch review.\nM1 · Launch review [scheduled]\n"
        "Time: Fri 11-27 15:00–16:00 (Asia/Shanghai)\n"
        "Other time zones: Thu 11-26 23:00–00:00 America/Los_Angeles — @dan\n"
        "Organizer: @alice\nRecorder: @erin\nParticipants: @dan, 研发部\n"
        "Agenda (30/60 min time-boxed):\n  1. Status · 10 min\n"
        "  2. Risks · 20 min · http://wiki/risks\n  3. AOB\n"
        "The agenda goes out Tue 11-24 15:00 · minutes due Sat 11-28 16:00",
        "Meetings — P1 Apollo\nUpcoming (1)\n• M1 Launch review — Fri 11-27 15:00–16:00",
        "Agenda of M1 Launch review: 4. Budget · 15 min · http://wiki/budget",
        "✅ Decision 1 of M1 Launch review: Launch on 12-15 (@erin)",
        "📌 Action item T1 Prepare launch checklist from M1 — owner @bob, due 12-01. "
        "It is on the board.\ndeliverable standard: covers every region",
        "📌 Action item T2 Brief the sales team from M1 — owner @dan, due 12-02 10:00.",
        "M1 · Launch review [in progress]",
        "Agenda (45/60 min time-boxed):",
        "  4. Budget · 15 min · http://wiki/budget\nDecisions (1):\n  1. Launch on 12-15\n"
        "Action items (0/2 done):\n"
        "  • T1 Prepare launch checklist — @bob · due 12-01 · "
        "deliverable standard: covers every region · to do\n"
        "  • T2 Brief the sales team — @dan · due Wed 12-02 10:00 · to do",
        "Board — P1 Apollo\nTo do (2)\n• T1 Prepare launch checklist — @bob · 研发部 · due 12-01\n"
        "• T2 Brief the sales team — @dan · 销售部 · due 12-02 10:00",
        "📝 Minutes — M1 Launch review\nTime: Fri 11-27 15:00–16:00 (Asia/Shanghai)\n"
        "Recorder: @erin\nParticipants: @dan, 研发部\nDecisions (1):\n  1. Launch on 12-15\n"
        "Action items (0/2 done):\n",
        "📝 Minutes of M1 posted to 1 group(s) and sent to 3 participant(s).",
        "[to @alice] 📝 Minutes — M1 Launch review\nTime: Fri 11-27 15:00–16:00 (Asia/Shanghai)",
        "[to @bob] 📝 Minutes — M1 Launch review",
        "[to @dan] 📝 Minutes — M1 Launch review\nTime: Thu 11-26 23:00–00:00 (America/Los_Angeles)",
        "  • T2 Brief the sales team — @dan · due Tue 12-01 18:00 · to do",  # dan's own zone
    ],
    "zh-CN": [
        "📅 已安排会议 M1 上线评审。\nM1 · 上线评审【已安排】\n"
        "时间: 周五 11-27 15:00–16:00（Asia/Shanghai）\n"
        "其他时区: 周四 11-26 23:00–00:00 America/Los_Angeles —— @dan\n"
        "组织者: @alice\n记录人: @erin\n参会人: @dan, 研发部\n"
        "议程（已分配 30/60 分钟）：\n  1. 进展 · 10 分钟\n  2. 风险 · 20 分钟 · http://wiki/risks\n"
        "  3. 其他\n议程将于 周二 11-24 15:00 发送 · 会议纪要截止 周六 11-28 16:00",
        "会议 —— P1 Apollo\n即将召开（1）\n• M1 上线评审 — 周五 11-27 15:00–16:00",
        "M1 上线评审 的议程：4. 预算 · 15 分钟 · http://wiki/budget",
        "✅ M1 上线评审 决议 1：12-15 上线（@erin）",
        "📌 行动项 T1 准备上线检查单（来自 M1）—— 负责人 @bob，截止 12-01。已加入看板。\n"
        "交付标准：覆盖所有区域",
        "📌 行动项 T2 给销售团队培训（来自 M1）—— 负责人 @dan，截止 12-02 10:00。",
        "M1 · 上线评审【进行中】",
        "决议（1）：\n  1. 12-15 上线\n行动项（已完成 0/2）：\n"
        "  • T1 准备上线检查单 — @bob · 截止 12-01 · 交付标准：覆盖所有区域 · 未开始\n"
        "  • T2 给销售团队培训 — @dan · 截止 周三 12-02 10:00 · 未开始",
        "看板 —— P1 Apollo\n未开始（2）\n• T1 准备上线检查单 — @bob · 研发部 · 截止 12-01\n"
        "• T2 给销售团队培训 — @dan · 销售部 · 截止 12-02 10:00",
        "📝 会议纪要 —— M1 上线评审\n时间: 周五 11-27 15:00–16:00（Asia/Shanghai）\n"
        "记录人: @erin\n参会人: @dan, 研发部\n决议（1）：\n  1. 12-15 上线\n",
        "📝 M1 的会议纪要已发布到 1 个群，并私信 3 位参会人。",
        "[to @alice] 📝 会议纪要 —— M1 上线评审",
        "[to @bob] 📝 会议纪要 —— M1 上线评审",
        "[to @dan] 📝 会议纪要 —— M1 上线评审\n时间: 周四 11-26 23:00–00:00（America/Los_Angeles）",
        "  • T2 给销售团队培训 — @dan · 截止 周二 12-01 18:00 · 未开始",
    ],
}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_meeting_from_schedule_to_minutes(
    console: ConsoleDriver, app: App, clock: ManualClock, locale: str
) -> None:
    console.set_locale(locale)
    out = await run_script(console, clock, (SCRIPTS / SCRIPT_FILE[locale]).read_text())
    for expected in EXPECTED[locale]:
        assert expected in out, f"missing:\n{expected}\n--- in ---\n{out}"
    assert "[to @erin]" not in out  # the recorder published them; no copy to herself
    assert "Something went wrong" not in out and "系统出错" not in out

    who = await names(app)
    (meeting,) = await rows(app, Meeting)
    start = to_aware_utc(FRIDAY_1500)
    assert (meeting.number, meeting.status, meeting.duration_minutes) == (1, "done", 60)
    assert to_aware_utc(meeting.starts_at) == start
    assert to_aware_utc(meeting.agenda_due_at) == start - timedelta(days=3)
    assert to_aware_utc(meeting.minutes_due_at) == start + timedelta(hours=25)
    assert to_aware_utc(meeting.minutes_published_at) == start
    assert (who[meeting.organizer_id], who[meeting.recorder_id]) == ("alice", "erin")
    assert meeting.every_weekday is None and meeting.series_id is None
    depts = {d.id: d.name for d in await rows(app, Department)}
    people = [
        (who.get(p.member_id or 0), depts.get(p.department_id or 0))
        for p in await rows(app, MeetingParticipant)
    ]
    assert people == [("dan", None), (None, "研发部")]
    agenda = await rows(app, AgendaItem)
    assert [(a.position, a.minutes, a.material) for a in agenda] == [
        (1, 10, None),
        (2, 20, "http://wiki/risks"),
        (3, None, None),
        (4, 15, "http://wiki/budget"),
    ]
    (decision,) = await rows(app, Decision)
    assert who[decision.recorded_by] == "erin" and to_aware_utc(decision.at) == start
    tasks = await rows(app, Task)
    assert [(t.number, who[t.owner_id], t.meeting_id, t.status) for t in tasks] == [
        (1, "bob", meeting.id, "todo"),
        (2, "dan", meeting.id, "todo"),
    ]
    assert tasks[0].standard in ("covers every region", "覆盖所有区域")
    assert tasks[0].department_id != tasks[1].department_id  # from each owner's department
    assert to_aware_utc(tasks[1].due_at) == start + timedelta(days=4, hours=19)  # 12-02 10:00
    events = await rows(app, TaskEvent)
    assert [(e.field, e.note, who[e.actor_id]) for e in events] == [("created", "M1", "erin")] * 2


async def test_minutes_mention_owners_and_reach_every_participant(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await run_script(console, clock, (SCRIPTS / SCRIPT_FILE["en"]).read_text())
    dms = await dm_messages(app)
    assert sorted(dms) == ["alice", "bob", "dan"]  # organizer, 研发部's leader, dan
    who = {name: member_id for member_id, name in (await names(app)).items()}
    for messages in dms.values():
        (minutes,) = messages
        mentioned = {m.member_id for m in minutes.mentions}
        assert {who["bob"], who["dan"], who["erin"]} <= mentioned  # owners and the recorder
        assert all(m.accounts == {"console": m.name} for m in minutes.mentions)


async def test_every_change_is_audited(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await run_script(console, clock, (SCRIPTS / SCRIPT_FILE["en"]).read_text())
    assert await audit_actions(app, "meeting") == [
        ("meeting.create", "alice"),
        ("meeting.agenda", "alice"),
        ("meeting.decide", "erin"),
        ("meeting.action", "erin"),
        ("meeting.action", "erin"),
        ("meeting.minutes", "erin"),
    ]
    assert await audit_actions(app, "task") == [("task.create", "erin")] * 2
    audit = [r for r in await rows(app, AuditLog) if r.entity in ("meeting", "task")]
    assert all(r.platform == "console" and r.project_id == 1 for r in audit)
    details = [json.loads(r.detail or "{}") for r in audit]
    assert details[0]["people"] == ["dan"] and details[0]["departments"] == ["研发部"]
    assert details[0]["agenda_items"] == 3
    assert [d.get("meeting") for d in details if "title" in d and "meeting" in d] == ["M1", "M1"]
    assert details[-1]["actions"] == ["T1", "T2"]
    assert (details[-1]["groups"], details[-1]["people"], details[-1]["again"]) == (1, 3, False)


@pytest.mark.parametrize(
    ("when", "local"),
    [
        ('at:"12-05 15:00"', datetime(2026, 12, 5, 15, 0)),
        ("at:fri 15:00", datetime(2026, 11, 27, 15, 0)),
        ("at:明天 15:00", datetime(2026, 11, 24, 15, 0)),
        ("时间:明天15:00", datetime(2026, 11, 24, 15, 0)),
        ('at:"tomorrow 3pm"', datetime(2026, 11, 24, 15, 0)),
        ("at:2026-12-01T09:30", datetime(2026, 12, 1, 9, 30)),
        ("at:16:00", datetime(2026, 11, 23, 16, 0)),
    ],
)
async def test_start_time_spellings(
    console: ConsoleDriver, app: App, when: str, local: datetime
) -> None:
    await console.run(f'project new "Apollo"\nmeeting new "Sync" {when}')
    (meeting,) = await rows(app, Meeting)
    assert meeting.starts_at.astimezone(SHANGHAI).replace(tzinfo=None) == local


async def test_times_are_read_in_the_speakers_zone_and_shown_in_the_groups(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP["en"])
    out = await console.run(':as dan\nmeeting new "Pipeline review" at:"fri 09:00" every:fri')
    assert "Time: Sat 11-28 01:00–02:00 (Asia/Shanghai)" in out
    assert "Other time zones: Fri 11-27 09:00–10:00 America/Los_Angeles — @dan" in out
    assert "Repeats: weekly on Sat" in out  # the series keeps the group's weekday
    (meeting,) = await rows(app, Meeting)
    assert meeting.every_weekday == 5


async def test_my_lists_the_minutes_a_recorder_owes(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"] + 'meeting new "Launch review" at:"fri 15:00" recorder:@erin')
    clock.set(FRIDAY_1500 + timedelta(minutes=59))
    assert "Minutes you owe" not in await console.run(":as erin\nmy")  # still in progress
    clock.set(FRIDAY_1500 + timedelta(hours=1))
    out = await console.run("my")
    assert (
        "Minutes you owe (1)\n• M1 Launch review (P1 Apollo) — held Fri 11-27 15:00, "
        "minutes due Sat 11-28 16:00: `meeting M1 minutes`"
    ) in out
    await console.run("meeting M1 minutes")
    assert "Minutes you owe" not in await console.run("my")

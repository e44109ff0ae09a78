"""Malformed and refused meeting commands: each gets a clear message (with the usage line where
the command was malformed) and changes nothing — no meeting, participant, agenda item,
decision, task or person is left behind."""

from __future__ import annotations

import pytest

from bot.dates.clock import ManualClock
from bot.main import App
from storage.tables import AgendaItem, AuditLog, Decision, Meeting, MeetingParticipant, Member, Task
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import SETUP, rows, run_script

USAGE_NEW = 'Usage: meeting new "<topic>" at:"fri 15:00" [duration:1h]'

REFUSED_NEW = [
    (
        'meeting new "Sync" at:someday',
        "“someday” is not a date I understand.",
    ),
    (
        'meeting new "Sync" at:12-05',
        "When is the meeting? Give a date and a time",
    ),
    ('meeting new "Sync"', "When is the meeting? Give a date and a time"),
    ('meeting new "Sync" at:"11-20 10:00"', "“11-20 10:00” is in the past"),
    ('meeting new "Sync" at:"fri 15:00" duration:25h', "“25h” is not a meeting length"),
    ('meeting new "Sync" at:"fri 15:00" duration:2wd', "“2wd” is not a meeting length"),
    ('meeting new "Sync" at:"fri 15:00" duration:soon', "“soon” is not a duration I understand"),
    (
        'meeting new "Sync" at:"fri 15:00" with:@newbie,Nobody',
        "“Nobody” is neither a department nor a person I know. "
        "Mention people with @; departments: 研发部, 销售部.",
    ),
    ('meeting new at:"fri 15:00"', "Missing the meeting topic (in quotes)."),
    ('meeting new "Sync" at:"fri 15:00" every:someday', "“someday” is not a recurrence"),
    ('meeting new "Sync" at:"12-05 15:00" every:fri', "“12-05 15:00” is not a Fri"),
    ('meeting new "Sync" at:"fri 15:00" every:daily', "Meetings repeat weekly"),
    ('meeting new "Sync" at:"fri 15:00" colour:red', "Unknown option “colour:”."),
]


async def _counts(app: App) -> dict[str, int]:
    models = (Meeting, MeetingParticipant, AgendaItem, Decision, Task, Member, AuditLog)
    return {m.__name__: len(await rows(app, m)) for m in models}


@pytest.mark.parametrize(("line", "message"), REFUSED_NEW)
async def test_bad_schedule_lines_are_explained_and_store_nothing(
    console: ConsoleDriver, app: App, line: str, message: str
) -> None:
    await console.run(SETUP["en"])
    before = await _counts(app)
    out = await console.run(line)
    assert message in out
    if "Unknown option" not in message:
        assert USAGE_NEW in out
    assert await _counts(app) == before


async def test_recording_needs_the_right_person_state_and_input(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"])
    await console.run('meeting new "Sync" at:"fri 15:00" with:@dan recorder:@erin')
    before = await _counts(app)
    out = await run_script(
        console,
        clock,
        """
        meeting M9
        meeting M1 minutes
        meeting M1 action "Checklist" owner:@bob
        meeting M1 action "Checklist" due:fri
        meeting M1 action "Checklist" owner:@bob due:someday
        meeting M1 action owner:@bob due:fri
        meeting M1 decide
        meeting M1 agenda
        meeting M1 frobnicate
        meeting decide "x"
        :as dan
        meeting M1 decide "We ship"
        meeting M1 cancel
        :in elsewhere
        meeting new "Sync" at:"fri 15:00"
        """,
    )
    for expected in (
        "There is no meeting M9 in this project.",
        "M1 starts 11-27 15:00; publish its minutes once it has taken place.",
        "An action item needs a deadline: due:D",
        "An action item needs an owner: owner:@someone.",
        "“someday” is not a date I understand.",
        'Usage: meeting M4 action "<task>" owner:@u due:D [std:"…"]',
        "Missing the task title (in quotes).",
        "Missing the decision (in quotes).",
        "Missing the agenda item (in quotes).",
        "“frobnicate” is not something `meeting` can do.",
        "Only @alice, @erin may record M1 (its organizer, its recorder or a PM).",
        "This chat is not bound to a project yet.",
    ):
        assert expected in out, f"missing {expected!r} in\n{out}"
    assert out.count("Only @alice, @erin may record M1") == 2
    assert await _counts(app) == before


async def test_a_cancelled_meeting_takes_no_more_records(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"])
    out = await console.run("""
        meeting new "Sync" at:"fri 15:00" with:@dan
        meeting M1 cancel "moved to the offsite"
    """)
    assert (
        "❌ M1 Sync (Fri 11-27 15:00–16:00, Asia/Shanghai) was cancelled by @alice: "
        "moved to the offsite."
    ) in out
    assert "[to @dan] ❌ M1 Sync (Thu 11-26 23:00–00:00, America/Los_Angeles)" in out
    before = await _counts(app)
    out = await console.run("""
        meeting M1 decide "x"
        meeting M1 cancel
        meeting M1 agenda "Budget"
        meeting
    """)
    assert out.count("M1 Sync is cancelled, so that is not possible any more.") == 3
    assert "No upcoming meetings." in out
    assert await _counts(app) == before


async def test_chinese_errors(console: ConsoleDriver, app: App) -> None:
    console.set_locale("zh-CN")
    await console.run(SETUP["zh-CN"])
    before = await _counts(app)
    out = await console.run("""
        会议 新建 "周会" 时间:12-05
        会议 新建 "周会" 时间:"周五 15:00" 时长:3天
        会议 新建 "周会" 时间:"周五 15:00" 参与:无名氏
        会议 新建 "周会" 时间:"12-05 15:00" 每周五
        会议 M1 决议 "上线"
    """)
    for expected in (
        "会议什么时候开？请给出日期和时间",
        '用法：会议 新建 "<主题>" 时间:"周五 15:00"',
        "“3天”不是有效的会议时长",
        "“无名氏”既不是部门，也不是已知的人员。人员请用 @ 提及；现有部门：研发部, 销售部。",
        "“12-05 15:00”不是周五；每周五的例会必须从周五开始",
        "本项目没有会议 M1。",
    ):
        assert expected in out, f"missing {expected!r} in\n{out}"
    assert await _counts(app) == before


async def test_agenda_time_boxes_longer_than_the_meeting_are_flagged(
    console: ConsoleDriver,
) -> None:
    await console.run(SETUP["en"])
    out = await console.run('meeting new "Sync" at:"fri 15:00" duration:30m agenda:"A 20m; B 20m"')
    assert "Agenda (40/30 min time-boxed):" in out
    assert "⚠ The time boxes add up to 40 min, more than the meeting's 30 min." in out

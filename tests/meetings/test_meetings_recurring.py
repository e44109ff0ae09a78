"""Weekly meetings: one occurrence exists at a time; the next is created when the minutes are
published, when one occurrence is cancelled, or by the job once a meeting has ended — exactly
once — and ``cancel series`` ends the series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.dates.clock import ManualClock, to_aware_utc
from bot.main import App
from commands.meetings.facts import next_slot
from storage.tables import AgendaItem, AuditLog, Meeting, MeetingParticipant
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import FRIDAY_1500, SETUP, rows, run_jobs, run_script

WEEK = timedelta(days=7)


async def _meetings(app: App) -> dict[int, Meeting]:
    return {m.number: m for m in await rows(app, Meeting)}


async def test_a_weekly_meeting_continues_through_minutes_job_and_cancel(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"])
    out = await console.run(
        'meeting new "Weekly sync" at:15:00 every:fri duration:45m with:@dan,研发部 '
        'agenda:"Status 10m; Risks 20m" recorder:@erin'
    )
    assert "M1 · Weekly sync [scheduled]\nTime: Fri 11-27 15:00–15:45 (Asia/Shanghai)" in out
    assert "Repeats: weekly on Fri" in out
    clock.set(FRIDAY_1500 + timedelta(minutes=50))
    out = await console.run(':as erin\nmeeting M1 decide "Keep the date"\nmeeting M1 minutes')
    assert "↻ Next in the series: M2 Fri 12-04 15:00–15:45." in out

    m = await _meetings(app)
    assert sorted(m) == [1, 2]
    assert (m[2].series_id, m[2].every_weekday, m[2].status) == (m[1].id, 4, "scheduled")
    assert m[1].series_id == m[1].id
    assert to_aware_utc(m[2].starts_at) == to_aware_utc(FRIDAY_1500 + WEEK)
    assert to_aware_utc(m[2].agenda_due_at) == to_aware_utc(FRIDAY_1500 + WEEK - timedelta(days=3))
    assert (m[2].recorder_id, m[2].organizer_id, m[2].duration_minutes) == (
        m[1].recorder_id,
        m[1].organizer_id,
        45,
    )
    copied = [p for p in await rows(app, MeetingParticipant) if p.meeting_id == m[2].id]
    assert len(copied) == 2
    agenda = [(a.title, a.minutes) for a in await rows(app, AgendaItem) if a.meeting_id == m[2].id]
    assert agenda == [("Status", 10), ("Risks", 20)]

    out = await console.run("meeting M1 minutes")  # published again: an update, no new meeting
    assert "📝 Minutes (updated) — M1 Weekly sync" in out
    assert "↻ Next in the series: M2" in out and len(await _meetings(app)) == 2

    clock.set(FRIDAY_1500 + WEEK + timedelta(minutes=44))
    await run_jobs(app, clock, console)
    assert len(await _meetings(app)) == 2  # M2 has not ended yet
    clock.set(FRIDAY_1500 + WEEK + timedelta(minutes=45))
    await run_jobs(app, clock, console)  # M2 ended without minutes: the job continues the series
    await run_jobs(app, clock, console)
    m = await _meetings(app)
    assert sorted(m) == [1, 2, 3]
    assert to_aware_utc(m[3].starts_at) == to_aware_utc(FRIDAY_1500 + 2 * WEEK)
    created = [r for r in await rows(app, AuditLog) if r.action == "meeting.create"]
    assert [(r.entity_id, r.actor_id is None) for r in created] == [
        (m[1].id, False),
        (m[2].id, False),
        (m[3].id, True),
    ]

    out = await console.run(':as alice\nmeeting M3 cancel "team offsite"')
    assert "❌ M3 Weekly sync (Fri 12-11 15:00–15:45, Asia/Shanghai) was cancelled by @alice" in out
    assert "↻ Next in the series: M4 Fri 12-18 15:00–15:45." in out
    out = await console.run("meeting M4 cancel series")
    assert "The weekly series “Weekly sync” ends with M4." in out
    clock.set(FRIDAY_1500 + 4 * WEEK)
    await run_jobs(app, clock, console)
    m = await _meetings(app)
    assert sorted(m) == [1, 2, 3, 4]
    assert [m[n].status for n in (3, 4)] == ["cancelled", "cancelled"]
    assert m[4].every_weekday is None
    out = await console.run("meeting")
    assert (
        "Awaiting minutes (1)\n• M2 Weekly sync — Fri 12-04 15:00 · ⚠ minutes overdue since" in out
    )


@pytest.mark.parametrize(
    ("line", "topic"),
    [
        ('会议 新建 "周例会" 时间:"周五 15:00" 每周五 参与:@dan', "周例会"),
        ("会议 新建 周例会 每周:五 时间:15:00", "周例会"),
        ('会议 新建 "周例会" every:"周五 15:00"', "周例会"),
        ('meeting new "Weekly" every:"fri 15:00"', "Weekly"),
    ],
)
async def test_weekly_spellings(
    console: ConsoleDriver, app: App, clock: ManualClock, line: str, topic: str
) -> None:
    console.set_locale("zh-CN")
    await console.run(SETUP["zh-CN"])
    out = await run_script(console, clock, line)
    assert "重复: 每周五" in out, out
    (meeting,) = await rows(app, Meeting)
    assert (meeting.topic, meeting.every_weekday) == (topic, 4)
    assert to_aware_utc(meeting.starts_at) == to_aware_utc(FRIDAY_1500)


def test_next_slot_keeps_the_wall_time_across_daylight_saving() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    first = datetime(2027, 3, 12, 10, 0, tzinfo=zone).astimezone(UTC)  # PST, UTC-8
    meeting = Meeting(
        project_id=1, number=1, topic="t", starts_at=first, every_weekday=4, created_at=first
    )
    following = next_slot(meeting, zone, after=first)
    assert following.astimezone(zone).replace(tzinfo=None) == datetime(2027, 3, 19, 10, 0)
    assert following - first == timedelta(days=7, hours=-1)  # PDT, UTC-7
    late = next_slot(meeting, zone, after=first + timedelta(days=20))
    assert late.astimezone(zone).date().isoformat() == "2027-04-02"  # skips the past slots

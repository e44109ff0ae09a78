"""The meeting job (``commands.meetings.jobs``): the agenda 3 days before (groups and attendees'
DMs, each in their zone), the start reminder, the minutes reminder 24 h after — each exactly
once, with its ``*_at`` column and audit row. Time is driven with the ManualClock."""

from __future__ import annotations

from datetime import timedelta

from bot.dates.clock import ManualClock, to_aware_utc
from bot.main import App
from storage.tables import AuditLog, Meeting, NotificationKey, Outbox
from tests.conftest import START
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import FRIDAY_1500, SETUP, rows, run_jobs

SCHEDULE = """
    :in ops-room
    project bind P1
    settings locale:zh-CN
    :in console
    meeting new "Launch review" at:"fri 15:00" with:@dan,研发部 agenda:"Status 10m; Risks 20m" recorder:@erin
"""


async def _sent(app: App) -> int:
    """Notices sent by the jobs (answers to the set-up commands are not counted)."""
    return len([row for row in await rows(app, Outbox) if row.reply_to is None])


async def test_agenda_goes_out_three_days_before_exactly_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"] + SCHEDULE)
    assert await run_jobs(app, clock, console) == ""  # Monday: the agenda is due Tuesday 15:00

    clock.set(FRIDAY_1500 - timedelta(days=3, minutes=1))
    assert await run_jobs(app, clock, console) == ""
    clock.set(FRIDAY_1500 - timedelta(days=3))
    out = await run_jobs(app, clock, console)
    group = (
        "📋 Agenda — M1 Launch review\nTime: Fri 11-27 15:00–16:00 (Asia/Shanghai)\n"
        "Other time zones: Thu 11-26 23:00–00:00 America/Los_Angeles — @dan\n"
        "Organizer: @alice\nRecorder: @erin\nParticipants: @dan, 研发部\n"
        "Agenda (30/60 min time-boxed):\n  1. Status · 10 min\n  2. Risks · 20 min\n"
        "Please read the materials before the meeting."
    )
    assert group in out  # the console group, where the command was typed
    assert (
        "[to ops-room] 📋 会议议程 —— M1 Launch review\n时间: 周五 11-27 15:00–16:00（Asia/Shanghai）\n"
        "其他时区: 周四 11-26 23:00–00:00 America/Los_Angeles —— @dan\n"
        "组织者: @alice\n记录人: @erin\n参会人: @dan, 研发部\n"
        "议程（已分配 30/60 分钟）：\n  1. Status · 10 分钟\n  2. Risks · 20 分钟\n请在会前阅读材料。"
    ) in out
    for person in ("alice", "erin", "bob"):
        assert f"[to @{person}] 📋 Agenda — M1 Launch review\nTime: Fri 11-27 15:00–16:00" in out
    assert "[to @dan]" not in out  # 23:00 in Los Angeles: queued until dan's quiet hours end
    dan_morning = FRIDAY_1500 - timedelta(days=2, hours=15)  # Tue 08:00 in Los Angeles
    (row,) = [r for r in await rows(app, Outbox) if r.chat_external_id == "dan"]
    assert to_aware_utc(row.next_attempt_at) == to_aware_utc(dan_morning)
    sent = await _sent(app)
    assert sent == 6  # two groups, four attendees

    assert await run_jobs(app, clock, console) == ""  # a second run sends nothing new
    assert await _sent(app) == sent
    (meeting,) = await rows(app, Meeting)
    assert to_aware_utc(meeting.agenda_sent_at) == to_aware_utc(clock.now())
    keys = {k.key for k in await rows(app, NotificationKey)}
    assert f"meeting:{meeting.id}:agenda:dm:1" in keys  # alice
    assert sum(k.startswith(f"meeting:{meeting.id}:agenda:chat:") for k in keys) == 2

    clock.set(dan_morning)
    start = len(console.output)
    await app.deliver()
    assert "".join(console.output[start:]).startswith(
        "[to @dan] 📋 Agenda — M1 Launch review\n"
        "Time: Thu 11-26 23:00–00:00 (America/Los_Angeles)\n"
        "Other time zones: Fri 11-27 15:00–16:00 Asia/Shanghai — @alice, @erin, 研发部"
    )


async def test_start_and_minutes_reminders_fire_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"] + SCHEDULE)
    clock.set(FRIDAY_1500 - timedelta(days=3))
    await run_jobs(app, clock, console)
    clock.set(FRIDAY_1500 - timedelta(days=2))
    await app.deliver()  # dan's agenda, held through his night

    clock.set(FRIDAY_1500)
    out = await run_jobs(app, clock, console)
    assert "🔔 M1 Launch review starts now (Fri 11-27 15:00–16:00). @alice @erin @dan" in out
    assert (
        "[to ops-room] 🔔 M1 Launch review 现在开始（周五 11-27 15:00–16:00）。@alice @erin @dan"
        in out
    )
    assert "Recorder @erin: `meeting M1 decide" in out
    assert "[to @" not in out  # the start is announced in the groups only
    assert await run_jobs(app, clock, console) == ""

    await console.run(':as erin\nmeeting M1 decide "Launch on 12-15"')
    clock.set(FRIDAY_1500 + timedelta(hours=25) - timedelta(minutes=1))
    assert await run_jobs(app, clock, console) == ""
    clock.set(FRIDAY_1500 + timedelta(hours=25))
    out = await run_jobs(app, clock, console)
    assert out == (
        "[to @erin] 📝 The minutes of M1 Launch review (Fri 11-27 15:00) were due Sat 11-28 16:00 "
        "and are not published yet (1 decisions, 0 action items so far). Record the rest and "
        "publish them with `meeting M1 minutes`.\n\n"
    )
    sent = await _sent(app)
    assert await run_jobs(app, clock, console) == ""
    assert await _sent(app) == sent
    (meeting,) = await rows(app, Meeting)
    assert to_aware_utc(meeting.start_reminded_at) == to_aware_utc(FRIDAY_1500)
    assert to_aware_utc(meeting.minutes_reminded_at) == to_aware_utc(clock.now())
    jobs = [(r.action, r.actor_id) for r in await rows(app, AuditLog) if r.actor_id is None]
    assert jobs == [
        ("meeting.agenda_sent", None),
        ("meeting.start_reminded", None),
        ("meeting.minutes_reminded", None),
    ]


async def test_short_notice_cancelled_published_and_late_meetings(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(
        SETUP["en"]
        + """
        meeting new "Hotfix triage" at:"tomorrow 10:00" with:@dan
        meeting new "Dropped" at:"fri 15:00" with:@dan
        meeting M2 cancel
        meeting new "Quick sync" at:"today 11:00" duration:30m
        """
    )
    out = await run_jobs(app, clock, console)  # short notice: the agenda goes out at once
    assert "📋 Agenda — M1 Hotfix triage" in out and "[to @dan] 📋 Agenda — M1 Hotfix triage" in out
    assert "📋 Agenda — M3 Quick sync" in out
    assert "Dropped" not in out

    clock.set(START + timedelta(hours=2))  # M3 11:00 has started: the minutes will be published
    assert "🔔 M3 Quick sync starts now" in await run_jobs(app, clock, console)
    await console.run("meeting M3 minutes")
    clock.set(START + timedelta(days=1, hours=12))  # the job missed M1 10:00–11:00 entirely
    out = await run_jobs(app, clock, console)
    assert "starts now" not in out  # too late to say "starts now"; marked, not sent
    clock.set(START + timedelta(days=3))
    out = await run_jobs(app, clock, console)
    assert out.startswith("[to @alice] 📝 The minutes of M1 Hotfix triage")
    assert "Quick sync" not in out and "Dropped" not in out
    meetings = {m.number: m for m in await rows(app, Meeting)}
    assert meetings[1].start_reminded_at is not None
    assert meetings[2].agenda_sent_at is None and meetings[2].minutes_reminded_at is None
    assert meetings[3].minutes_reminded_at is None


async def test_minutes_reminder_waits_out_the_recorders_night(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"] + 'meeting new "Night call" at:"fri 22:30" recorder:@erin')
    sunday_midnight = FRIDAY_1500 + timedelta(days=1, hours=9)  # minutes were due Sat 23:30
    clock.set(sunday_midnight)
    assert await run_jobs(app, clock, console) == ""  # queued until erin's quiet hours end
    (row,) = [r for r in await rows(app, Outbox) if r.chat_external_id == "erin"]
    assert to_aware_utc(row.next_attempt_at) == to_aware_utc(sunday_midnight + timedelta(hours=8))
    clock.set(sunday_midnight + timedelta(hours=8))
    await app.deliver()
    assert "[to @erin] 📝 The minutes of M1 Night call" in "".join(console.output)

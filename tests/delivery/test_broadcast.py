"""The one broadcast path (``bot.outbound.notify.to_groups`` / ``to_person``) and its audience policy:
a person's DM waits out *their* quiet hours, in *their* zone (``settings`` typed in their DM
with the bot), while a recipient elsewhere gets it at once; and a broken row in the database
is logged with its id and skipped while the other items of the job still go out."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.dates.clock import ManualClock, to_aware_utc
from bot.main import App
from bot.text.messages import IncomingMessage
from storage.tables import Outbox
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import FRIDAY_1500, SETUP, rows, run_jobs
from tests.request_helpers import run_job, setup
from tests.scheduling import LOS_ANGELES, at

BERLIN = ZoneInfo("Europe/Berlin")
OVERDUE = "⏰ Overdue approval: the charter of P1 Apollo"
MEETING = """
    :in console
    meeting new "Launch review" at:"fri 15:00" with:@dan,研发部 agenda:"Status 10m" recorder:@erin
"""


async def dm_settings(app: App, member: str, options: str) -> None:
    """``member`` types ``settings …`` in their direct chat with the bot."""
    message = IncomingMessage(
        platform="console",
        chat_id=member,
        sender_id=member,
        text=f"settings {options}",
        is_direct=True,
    )
    replies = await app.dispatcher.handle_message(message)
    assert "Updated the settings" in replies[0].message.plain_text()
    await app.deliver()  # the answer itself, before the jobs under test run


async def queued_at(app: App, member: str, text: str) -> list[object]:
    return [
        to_aware_utc(r.next_attempt_at)
        for r in await rows(app, Outbox)
        if r.chat_external_id == member and r.is_direct and text in r.payload
    ]


async def test_approval_reminder_waits_for_the_approvers_own_quiet_hours(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await setup(console, "en")
    await console.run(":as alice\nproject charter")  # bob and erin sign off by Wed 09:00
    await dm_settings(app, "bob", 'quiet:"09:00-11:00"')  # bob reads nothing before 11:00
    clock.set(at("2026-11-25 09:30"))
    out = await run_job(console)
    assert out.count(f"[to @erin] {OVERDUE}") == 1  # the workspace's night is over: at once
    assert f"[to @bob] {OVERDUE}" not in out
    assert await queued_at(app, "bob", "Overdue approval") == [at("2026-11-25 11:00")]
    clock.set(at("2026-11-25 11:00"))
    assert (await run_job(console)).count(f"[to @bob] {OVERDUE}") == 1


async def test_meeting_dms_follow_each_attendees_own_zone_and_quiet_hours(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"] + MEETING)
    # erin reads in Berlin and sleeps until 09:00 there; dan in Los Angeles stays up late.
    await dm_settings(app, "erin", 'tz:Europe/Berlin quiet:"00:00-09:00"')
    await dm_settings(app, "dan", 'quiet:"00:30-07:00"')
    clock.set(FRIDAY_1500 - timedelta(days=3))  # Tue 15:00 Shanghai = 08:00 Berlin = 23:00 LA
    out = await run_jobs(app, clock, console)
    assert "[to @dan] 📋 Agenda — M1 Launch review\nTime: Thu 11-26 23:00–00:00" in out
    assert "[to @alice] 📋 Agenda" in out and "[to @erin]" not in out
    berlin_nine = at("2026-11-24 09:00", BERLIN)
    assert await queued_at(app, "erin", "Agenda") == [berlin_nine]
    clock.set(berlin_nine)
    await app.deliver()
    assert (
        "[to @erin] 📋 Agenda — M1 Launch review\nTime: Fri 11-27 08:00–09:00 (Europe/Berlin)"
        in ("".join(console.output))
    )


async def test_minutes_reminder_waits_for_the_recorders_quiet_hours(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP["en"] + MEETING)
    await dm_settings(app, "erin", 'quiet:"15:00-18:00"')
    clock.set(FRIDAY_1500 + timedelta(hours=25))  # Sat 16:00: a day after the meeting ended
    await run_jobs(app, clock, console)
    assert await queued_at(app, "erin", "minutes") == [at("2026-11-28 18:00")]


async def test_a_dm_elsewhere_goes_at_once_where_the_workspace_would_hold_it(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    """dan's zone is Los Angeles: 23:00 there is inside the default 22:00-08:00, so without
    his own setting the agenda waits for his morning."""
    await console.run(SETUP["en"] + MEETING)
    clock.set(FRIDAY_1500 - timedelta(days=3))
    await run_jobs(app, clock, console)
    morning = at("2026-11-24 08:00", LOS_ANGELES)
    assert await queued_at(app, "dan", "Agenda") == [morning]

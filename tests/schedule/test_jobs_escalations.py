"""The ladder tick as the scheduler runs it: an overdue task opens L1, unanswered levels climb
to L2 and L3 with @-mentions, and L3 reminds the sponsor once per working day, no more."""

from __future__ import annotations

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from tests.console_driver import ConsoleDriver
from tests.scheduling import SHANGHAI, around, at, escalations, keys


async def test_overdue_task_climbs_the_ladder_and_l3_repeats_once_per_working_day(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run("""
        project new "Apollo" sponsor:@erin
        task add "Write spec" owner:@bob due:11-25
    """)
    clock.set(at("2026-11-27 08:45"))
    out = await console.run(":advance 30m")  # Friday 09:00: overdue by more than a day
    assert "Escalation E1 · L1 on T1 Write spec" in out
    clock.set(at("2026-11-28 08:45"))
    out = await console.run(":advance 30m")  # 24 h later
    assert "⬆⬆ Escalation E1 · L2 on T1 Write spec" in out
    assert "@me — cross-department decision needed" in out
    clock.set(at("2026-11-30 08:45"))
    out = await console.run(":advance 30m")  # 48 h later
    assert "⬆⬆⬆ Escalation E1 · L3 on T1 Write spec" in out
    assert "@erin — resources/strategy decision needed" in out

    for day in ("12-01", "12-02", "12-03", "12-03", "12-04", "12-05", "12-06", "12-07"):
        await app.scheduler.tick(to_utc(at(f"2026-{day} 10:00")))
    (escalation,) = await escalations(app)
    assert escalation.level == 3
    reminders = sorted(
        moment.astimezone(SHANGHAI).strftime("%m-%d")
        for key, moment in (await keys(app, "escalation:1:L3:")).items()
        if key.count(":") == 4
    )
    assert reminders == ["12-03", "12-04", "12-07"]  # three working days, then daily; no weekend


async def test_a_task_done_in_time_resolves_its_escalation(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run("""
        project new "Apollo" sponsor:@erin
        task add "Write spec" owner:@bob due:11-25
    """)
    clock.set(at("2026-11-27 08:45"))
    await console.run(":advance 30m")
    await console.run("task T1 start\ntask T1 done")
    out = await around(console, clock, at("2026-11-28 09:00"))  # when L2 would have come
    out += await around(console, clock, at("2026-11-30 09:00"))
    assert "Escalation E1 · L2" not in out
    (escalation,) = await escalations(app)
    assert escalation.status == "resolved"

"""The escalation ladder: one per item, L1 → L2 → L3 on time, catch-up announced once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.dates.clock import ManualClock
from bot.main import App
from bot.scheduler import JobContext
from commands.escalations import jobs as escalation_job
from storage.tables import AuditLog, Escalation, NotificationKey
from tests.console_driver import ConsoleDriver

SETUP = """
    :as pm
    dept add 研发部 leader:@lead
    project new "Apollo" sponsor:@vp coordinator:@coo
    task add "API" owner:@dev dept:研发部
"""


async def climb(app: App, clock: ManualClock, console: ConsoleDriver) -> str:
    await escalation_job.run(
        JobContext(app.sessions, app.settings, app.scheduler.calendar, clock.now())
    )
    start = len(console.output)
    await app.deliver()
    return "".join(console.output[start:])


async def test_one_ladder_per_item(console: ConsoleDriver, app: App) -> None:
    await console.run(SETUP)
    first = await console.say('escalate T1 "blocked by the vendor"')
    assert "Opened escalation E1 (L1) on T1." in first
    assert "⬆ Escalation E1 · L1 on T1 API: blocked by the vendor\n@dev @lead" in first
    second = await console.say('escalate T1 "still blocked"')
    assert "T1 already has an open escalation E1 (L1); I added your note to it." in second
    assert "⬆" not in second
    async with app.sessions() as session:
        rows = (await session.exec(select(Escalation))).all()
    assert len(rows) == 1 and rows[0].notes and "still blocked" in rows[0].notes


async def test_levels_follow_their_deadlines(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    await console.say('escalate T1 "vendor"')  # Mon 09:00
    clock.advance(timedelta(hours=23))
    assert await climb(app, clock, console) == ""
    clock.advance(timedelta(hours=1))  # Tue 09:00: L1's 24 h are up
    out = await climb(app, clock, console)
    assert "⬆⬆ Escalation E1 · L2 on T1 API: vendor" in out and "@pm @coo" in out
    assert "by 11-26 09:00" in out
    assert await climb(app, clock, console) == ""  # the same tick twice sends nothing
    clock.advance(timedelta(hours=48))  # Thu 09:00: L2's 48 h are up
    out = await climb(app, clock, console)
    assert "⬆⬆⬆ Escalation E1 · L3" in out and "@vp" in out
    assert "by 12-01 09:00" in out  # 3 working days: Fri, Mon, Tue
    async with app.sessions() as session:
        levels = [
            a.detail
            for a in (
                await session.exec(select(AuditLog).where(AuditLog.action == "escalation.level"))
            ).all()
        ]
    assert levels == ['{"level": 2}', '{"level": 3}']


async def test_catch_up_after_downtime_announces_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    await console.say('escalate T1 "vendor"')
    clock.advance(timedelta(days=4))  # the bot was down; L1 and L2 both ran out
    out = await climb(app, clock, console)
    assert out.count("Escalation E1") == 1 and "L3" in out
    assert await climb(app, clock, console) == ""


async def test_l3_reminds_the_sponsor_once_per_working_day(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    await console.say('escalate T1 "vendor"')
    clock.advance(timedelta(days=3))
    await climb(app, clock, console)  # L3 from Thu 09:00, due Tue 12-01 09:00
    clock.advance(timedelta(days=5))  # Tue 12-01 09:00
    first = await climb(app, clock, console)
    assert first.count("⬆⬆⬆") == 1
    assert await climb(app, clock, console) == ""
    clock.advance(timedelta(hours=12))
    assert await climb(app, clock, console) == ""
    clock.advance(timedelta(hours=12))  # Wed 09:00
    assert (await climb(app, clock, console)).count("⬆⬆⬆") == 1


async def test_done_task_or_explicit_resolve_stops_the_ladder(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP + 'task add "Docs" owner:@dev dept:研发部\n')
    await console.say('escalate T1 "vendor"')
    await console.say('escalate T2 "no writer"')
    out = await console.run(":as dev\ntask T1 start\ntask T1 done")
    out = await console.run(":as stranger\nescalate E2 resolve")
    assert "Only @coo, @dev, @lead, @pm, @vp may resolve E2." in out
    out = await console.run(":as lead\nescalate E2 resolve")
    assert "Escalation E2 resolved by @lead." in out
    clock.advance(timedelta(days=10))
    assert await climb(app, clock, console) == ""
    async with app.sessions() as session:
        statuses = [e.status for e in (await session.exec(select(Escalation))).all()]
        keys = len((await session.exec(select(NotificationKey))).all())
    assert statuses == ["resolved", "resolved"] and keys == 2


async def test_chinese_escalation(console: ConsoleDriver) -> None:
    console.set_locale("zh-CN")
    await console.run(SETUP)
    out = await console.say('升级 T1 "供应商延期"')
    assert "已对 T1 发起升级 E1（L1）" in out
    assert "⬆ 升级 E1 · L1：T1 API：供应商延期" in out
    assert "没有进行中的升级" not in await console.say("升级")

"""The weekly digest: what it shows, when it goes out (group's zone and slot), once per week,
catch-up, the ``digest``/``周报`` command, and a fixed number of queries per batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from commands.reports import digest
from storage.db import transaction
from storage.rows import id_of
from storage.tables import ApprovalStep, Meeting, ResourceRequest
from tests.console_driver import ConsoleDriver
from tests.scheduling import LOS_ANGELES, around, at, keys

SETUP = """
    project new "Apollo" depts:研发部
    settings tz:Asia/Shanghai
    phase add 设计 milestone:11-27
    phase add 开发 milestone:12-20
    task add "Write spec" phase:设计 owner:@bob due:11-20
    task add "Mockups" phase:设计 owner:@grace due:11-30
    task add "API keys" phase:开发 owner:@frank due:12-10
    task add "Release notes" owner:@bob due:12-15
    task T2 start
    task T2 done "figma link"
    task T3 block "waiting for IT"
    issue report "Login fails" urgency:high
"""


async def seed_approval_and_meeting(app: App, clock: ManualClock) -> None:
    now = to_utc(clock.now())
    async with transaction(app.sessions) as session:
        request = ResourceRequest(
            project_id=1,
            number=1,
            requester_id=1,
            kind="material",
            description="活动展架 x2",
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        await session.flush()
        session.add(
            ApprovalStep(
                project_id=1,
                subject_type="request",
                subject_id=id_of(request),
                position=1,
                rule="requester_leader",
                approver_id=1,
                status="pending",
                due_at=now + timedelta(days=1),
                created_at=now,
            )
        )
        start = to_utc(at("2026-11-30 15:00"))
        session.add(
            Meeting(project_id=1, number=1, topic="Weekly sync", starts_at=start, created_at=now)
        )


async def test_friday_digest_shows_the_week_and_goes_out_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    await seed_approval_and_meeting(app, clock)
    clock.set(at("2026-11-27 14:50"))  # Friday
    out = await console.run(":advance 20m")
    expected = [
        "📊 Weekly digest — P1 Apollo · 2026-W48 (11-23 – 11-29)",
        "Progress: 1/4 tasks done (25%)",
        "• 设计 — 1/2 (50%) · milestone 11-27",
        "• 开发 — 0/1 (0%) · milestone 12-20",
        "• No phase — 0/1 (0%)",
        "Done this week (1)\n✓ T2 Mockups — grace",
        "Overdue and blocked (2)\n⛔ T3 API keys — frank · blocked: waiting for IT\n"
        "⚠ T1 Write spec — bob · due 11-20 (7d overdue)",
        "Open issues (1) · SLA breaches: 1\n⚠ I1 [high] Login fails — unassigned · SLA breached",
        "Pending approvals (1)\n⚠ R1 活动展架 x2 — me, answer due 11-24 09:00 (past due)",
        "Upcoming milestones\n• 设计 — 11-27",
        "Upcoming meetings\n• Weekly sync — 11-30 15:00",
    ]
    for text in expected:
        assert text in out, text
    assert out.count("📊 Weekly digest") == 1
    sent = await keys(app, "digest:")
    assert sent == {"digest:1:2026-W48": to_utc(at("2026-11-27 15:00"))}
    assert "Weekly digest" not in await around(console, clock, at("2026-11-28 15:00"))


async def test_group_slot_zone_and_language_are_the_groups_own(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run("""
        project new "Apollo"
        settings locale:zh-CN tz:America/Los_Angeles digest:"周一 10:00"
        task add "Write spec" owner:@bob due:12-01
    """)
    out = await around(console, clock, at("2026-11-23 10:00", LOS_ANGELES))
    assert "📊 周报 — P1 Apollo · 2026-W48（11-23 – 11-29）" in out
    assert "进度：已完成 0/1 个任务（0%）" in out
    assert "本周一切顺利" in out
    sent = await keys(app, "digest:")
    assert sent == {"digest:1:2026-W48": to_utc(at("2026-11-23 10:00", LOS_ANGELES))}


async def test_downtime_over_the_slot_sends_the_weeks_digest_once_late(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run('project new "Apollo"')
    clock.set(at("2026-11-27 14:00"))
    await console.run(":advance 15m")
    clock.set(at("2026-11-28 10:00"))  # down over Friday 15:00
    out = await console.run(":advance 15m")
    assert out.count("📊 Weekly digest — P1 Apollo · 2026-W48") == 1
    clock.set(at("2026-12-05 16:00"))  # down over the next Friday, back the same week
    clock.set(at("2026-12-07 10:00"))  # …or only in the week after: that week is over
    out = await console.run(":advance 15m")
    assert "Weekly digest" not in out
    assert set(await keys(app, "digest:")) == {"digest:1:2026-W48"}


async def test_a_group_that_joins_after_the_slot_waits_for_next_week(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    clock.set(at("2026-11-27 16:00"))
    await console.run('project new "Late"')
    assert "Weekly digest" not in await console.run(":advance 1h")
    clock.set(at("2026-12-04 14:55"))
    assert "2026-W49" in await console.run(":advance 10m")


async def test_digest_command_in_both_languages(console: ConsoleDriver) -> None:
    refused = await console.run("digest")
    assert "This chat is not bound to a project yet" in refused
    await console.run(SETUP)
    out = await console.run("digest")
    assert out.startswith("📊 Weekly digest — P1 Apollo · 2026-W48")
    assert "Overdue and blocked (2)" in out
    console.set_locale("zh-CN")
    out = await console.run("周报")
    assert out.startswith("📊 周报 — P1 Apollo")
    assert "逾期与阻塞（2）" in out
    assert "⚠ T1 Write spec — bob · 截止 11-20（逾期 3 天）" in out
    assert "`周报` 不需要参数" in await console.run("周报 本周")


@contextmanager
def counting(app: App) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        if not args[2].startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is not a query
            statements.append(args[2])

    engine = app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_loading_digests_takes_the_same_queries_for_one_or_thirty_projects(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    for n in range(30):
        await console.run(f"""
            :in group-{n}
            project new "P{n}"
            phase add Build milestone:12-20
            task add "Task {n}" phase:Build owner:@bob due:11-20
            task add "Other {n}" owner:@carol due:12-20
            task T2 block "waiting"
            issue report "Bug {n}" urgency:low
        """)
    now = to_utc(clock.now())
    async with transaction(app.sessions) as session:
        with counting(app) as one:
            await digest.load(session, [1], now)
        with counting(app) as thirty:
            rows = await digest.load(session, list(range(1, 31)), now)
    assert len(rows.projects) == 30
    assert [len(rows.attention[n]) for n in (1, 30)] == [2, 2]
    assert len(one) == len(thirty) <= 11


async def test_the_digest_is_followed_by_its_charts_once(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    clock.set(at("2026-11-27 14:50"))  # Friday
    out = await console.run(":advance 20m")
    digest_at = out.index("📊 Weekly digest")
    burn_at = out.index("📎 Apollo-20261127-retro-burnup.png")
    assert digest_at < burn_at < out.index("📎 Apollo-20261127-retro-departments.png")
    assert set(await keys(app, "chart:")) == {
        "chart:digest:1:2026-W48:1",
        "chart:digest:1:2026-W48:2",
    }
    folder = Path(app.settings.exports_dir)
    assert (folder / "Apollo-20261127-retro-burnup.png").read_bytes().startswith(b"\x89PNG")
    assert "📎" not in await console.run(":advance 1h")  # once, like the digest


async def test_digest_charts_can_be_switched_off(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    app.settings.schedule.digest_charts = False
    await console.run(SETUP)
    clock.set(at("2026-11-27 14:50"))
    out = await console.run(":advance 20m")
    assert "📊 Weekly digest" in out
    assert "📎" not in out
    assert await keys(app, "chart:") == {}

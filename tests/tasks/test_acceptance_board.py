"""Issue #2 acceptance: one console script, both languages, asserted replies and rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.main import App
from storage.tables import AuditLog, Task, TaskEvent
from tests.console_driver import ConsoleDriver

SCRIPT = (Path(__file__).parents[1] / "scripts" / "board_acceptance.txt").read_text()

EXPECTED = {
    "en": [
        "Created project P1 Apollo and bound this chat (console) to it.",
        "Phase 2: Build (milestone 2027-01-15).",
        "Added T3 Provision servers — owner @gina, due 12-20.",
        "RACI of T1 Write spec: R: @erin, 研发部 · A: @alice · C: 运维部 · I: 市场部, @frank",
        "T1 Write spec: to do → in progress (@alice)",
        "T1 Write spec: in progress → in review (@alice)",
        "T1 Write spec: in review → done (@alice)\nDeliverable: https://wiki/spec",
        "[to @frank] [Apollo] T1 Write spec: in review → done (@alice)",
        "[to @carol] [Apollo] T1 Write spec: to do → in progress (@alice)",
        "T4 API: in progress → blocked (@alice)\nReason: waiting for servers",
        "Only @alice, @bob, @erin may change T4",
        "T4 API: blocked → in progress (@erin)",
        "“13-45” is not a date I understand.",
        "I don't know the command “taks”. Did you mean task?",
        "Needs attention (1)\n⚠ T2 Market study — @frank · 市场部 · due 11-21 (2d overdue) · to do",
        "To do (2)\n• T3 Provision servers — @gina · 运维部 · due 12-20\n"
        "• T5 Launch plan — @frank · 市场部 · due 2027-01-20",
        "In progress (1)\n• T4 API — @erin · 研发部 · due 2027-01-10",
        "Done (1)\n• T1 Write spec — @erin · 研发部 · due 12-01",
        "1/5 done · 1 overdue · 0 blocked",
        "Open work for erin\nP1 Apollo\n• T4 API — @erin · 研发部 · due 2027-01-10 · in progress",
    ],
    "zh-CN": [
        "已创建项目 P1 Apollo，并将本群（console）绑定到该项目。",
        "阶段 2：Build（里程碑 2027-01-15）。",
        "已新建 T3 Provision servers —— 负责人 @gina，截止 12-20。",
        "T1 Write spec 的 RACI：R: @erin, 研发部 · A: @alice · C: 运维部 · I: 市场部, @frank",
        "T1 Write spec：未开始 → 进行中（@alice）",
        "T1 Write spec：进行中 → 待审核（@alice）",
        "T1 Write spec：待审核 → 已完成（@alice）\n交付物：https://wiki/spec",
        "[to @frank] 【Apollo】T1 Write spec：待审核 → 已完成（@alice）",
        "T4 API：进行中 → 阻塞（@alice）\n原因：waiting for servers",
        "只有 @alice, @bob, @erin 可以修改 T4",
        "T4 API：阻塞 → 进行中（@erin）",
        "无法识别日期“13-45”",
        "没有“taks”这个命令。您是想用 task 吗？",
        "需要关注（1）\n⚠ T2 Market study — @frank · 市场部 · 截止 11-21 （逾期 2 天） · 未开始",
        "未开始（2）\n• T3 Provision servers — @gina · 运维部 · 截止 12-20",
        "进行中（1）\n• T4 API — @erin · 研发部 · 截止 2027-01-10",
        "已完成（1）\n• T1 Write spec — @erin · 研发部 · 截止 12-01",
        "已完成 1/5 · 逾期 1 · 阻塞 0",
        "erin 的待办\nP1 Apollo\n• T4 API — @erin · 研发部 · 截止 2027-01-10 · 进行中",
    ],
}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_board_workflow_script(console: ConsoleDriver, app: App, locale: str) -> None:
    console.set_locale(locale)
    out = await console.run(SCRIPT)
    for expected in EXPECTED[locale]:
        assert expected in out, f"missing:\n{expected}\n--- in ---\n{out}"
    assert "Something went wrong" not in out and "系统出错" not in out

    async with app.sessions() as session:
        tasks = {t.number: t for t in (await session.exec(select(Task))).all()}
        assert tasks[1].status == "done" and tasks[1].deliverable == "https://wiki/spec"
        assert tasks[4].status == "in_progress" and tasks[4].status_before_block is None
        assert tasks[3].due_at is not None and tasks[3].due_at.tzinfo is not None  # unchanged
        moves = (
            await session.exec(
                select(TaskEvent)
                .where(TaskEvent.task_id == tasks[4].id, TaskEvent.field == "status")
                .order_by(col(TaskEvent.id))
            )
        ).all()
        assert [(e.old, e.new) for e in moves] == [
            ("todo", "in_progress"),
            ("in_progress", "blocked"),
            ("blocked", "in_progress"),
        ]
        actions = [
            a.action
            for a in (
                await session.exec(
                    select(AuditLog)
                    .where(AuditLog.entity == "task", AuditLog.entity_id == tasks[4].id)
                    .order_by(col(AuditLog.id))
                )
            ).all()
        ]
        assert actions == ["task.create", "task.start", "task.block", "task.unblock"]


async def test_refused_and_malformed_lines_change_nothing(console: ConsoleDriver, app: App) -> None:
    await console.run(SCRIPT)
    async with app.sessions() as session:
        before = [
            (t.number, t.status, t.due_at, t.owner_id)
            for t in (await session.exec(select(Task).order_by(col(Task.id)))).all()
        ]
        audit_before = len((await session.exec(select(AuditLog))).all())
    out = await console.run("""
        :as frank
        task T4 block "not mine"
        task T3 due 2026-02-30
        task T9 start
        :as alice
        task T1 start
        task T3 due 13-45
        task add
    """)
    assert "Only @alice, @bob, @erin may change T4" in out
    assert "There is no task T9" in out
    assert "T1 is done, so it cannot be started. That works from: to do / in review." in out
    assert "Missing the task title" in out
    async with app.sessions() as session:
        after = [
            (t.number, t.status, t.due_at, t.owner_id)
            for t in (await session.exec(select(Task).order_by(col(Task.id)))).all()
        ]
        assert after == before
        assert len((await session.exec(select(AuditLog))).all()) == audit_before

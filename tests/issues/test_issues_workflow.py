"""Issue #3 acceptance (issue tracker): one issue from report through reopen to verified close,
driven through the console in both languages; replies, rows and the audit log asserted."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.dates.clock import to_aware_utc
from bot.main import App
from storage.tables import AuditLog, Department, Issue, IssueDepartment, IssueEntry, Member
from tests.conftest import START
from tests.console_driver import ConsoleDriver

SCRIPTS = Path(__file__).parents[1] / "scripts"

EXPECTED = {
    "en": [
        "Reported I1 Login fails on Android — urgency high, departments 研发部, 运维部.\n"
        "🚨 Green channel: triage by @alice, @carol due 11-23 11:00; solution plan due 11-23 11:00.",
        "Triaged I1 Login fails on Android: primary 研发部, support 运维部, owner @erin, ETA 11-25.\n"
        '@erin, please post the solution plan with `issue I1 progress "…"` (due 11-23 11:00).',
        "I1 Login fails on Android — help from @gina (运维部): server logs: https://logs/1",
        "I1 Login fails on Android — progress from @erin: 代码开发中\n"
        "Recorded as the solution plan (due 11-23 11:00) ✓",
        "I1 Login fails on Android — progress from @erin: 测试中\n\n",
        "I1 Login fails on Android resolved by @erin: 已上线\n"
        "@frank, please verify: `issue I1 verify` closes it",
        "↩ I1 Login fails on Android reopened by @frank (1×): still fails on 4G\nBack to @erin",
        "Issues waiting for you (1)\n"
        "• I1 Login fails on Android [high] (P1 Apollo) — resolved — verify or reopen",
        "✅ I1 Login fails on Android verified and closed by @frank: 模拟用户登录测试正常 "
        "(1d 1h after the report).",
        "I1 · Login fails on Android [closed]\nUrgency: high\nCategory: 登录\nReporter: @frank\n"
        "Reported: 11-23 09:00\nDepartments involved: 研发部, 运维部\nPrimary department: 研发部\n"
        "Supporting departments: 运维部\nOwner: @erin\nETA: 11-25\n"
        "Triage SLA (2 h): met 11-23 09:30 (due 11-23 11:00)\n"
        "Plan SLA (green channel, 2 h): met 11-23 10:30 (due 11-23 11:00)\nReopened: 1\n"
        "HTTP 500 on /login since 08:30\nTimeline:\n"
        "  11-23 09:00 @frank — reported\n"
        "  11-23 09:30 @carol — triaged: primary 研发部, support 运维部, owner @erin, ETA 11-25\n"
        "  11-23 09:30 @gina — help: server logs: https://logs/1\n"
        "  11-23 10:30 @erin — solution plan: 代码开发中\n"
        "  11-23 10:30 @erin — progress: 测试中\n"
        "  11-24 10:30 @erin — resolved: 已上线\n"
        "  11-24 10:30 @frank — reopened: still fails on 4G\n"
        "  11-24 10:30 @erin — progress: 4G path fixed, testing\n"
        "  11-24 10:30 @erin — resolved: 已上线 v2\n"
        "  11-24 10:30 @frank — verified and closed: 模拟用户登录测试正常",
        "Closed (1)\n• 🔴 I1 Login fails on Android [high] — @erin · 研发部 · ETA 11-25\n"
        "1 shown · 0 with a missed SLA · filter: all",
    ],
    "zh-CN": [
        "已上报 I1 安卓端无法登录 —— 紧急程度 高，涉及部门 研发部, 运维部。\n"
        "🚨 绿色通道：请 11-23 11:00 前由 @alice, @carol 分派；解决方案时限 11-23 11:00。",
        "已分派 I1 安卓端无法登录：主责部门 研发部，配合部门 运维部，负责人 @erin，"
        '预计解决时间 11-25。\n@erin，请用 `问题 I1 进展 "…"` 提交解决方案（时限 11-23 11:00）。',
        "I1 安卓端无法登录 —— @gina（运维部）协助：服务器日志：https://logs/1",
        "I1 安卓端无法登录 —— @erin 更新进展：代码开发中\n已记为解决方案（时限 11-23 11:00）✓",
        "I1 安卓端无法登录 已由 @erin 标记为已解决：已上线\n@frank，请验证：`问题 I1 验证` 关闭问题",
        "↩ I1 安卓端无法登录 已由 @frank 重开（第 1 次）：4G 网络下仍然失败\n退回 @erin",
        "待我处理的问题（1）\n• I1 安卓端无法登录【高】（P1 Apollo）—— 已解决 —— 请验证或重开",
        "✅ I1 安卓端无法登录 已由 @frank 验证闭环：模拟用户登录测试正常（上报后 1天1小时）。",
        "I1 · 安卓端无法登录 【已关闭】\n紧急程度: 高\n分类: 登录\n上报人: @frank\n",
        "分派时限（2 小时）: 已达成 11-23 09:30（时限 11-23 11:00）\n"
        "方案时限（绿色通道，2 小时）: 已达成 11-23 10:30（时限 11-23 11:00）\n重开次数: 1\n"
        "登录接口返回500\n处理记录：\n  11-23 09:00 @frank — 上报\n"
        "  11-23 09:30 @carol — 分派：主责部门 研发部，配合部门 运维部，负责人 @erin，预计解决时间 11-25\n",
        "  11-24 10:30 @frank — 重开：4G 网络下仍然失败\n",
        "  11-24 10:30 @frank — 验证闭环：模拟用户登录测试正常",
        "已关闭（1）\n• 🔴 I1 安卓端无法登录【高】 — @erin · 研发部 · 预计 11-25\n"
        "共 1 个 · 0 个超时 · 筛选：全部",
    ],
}
SCRIPT_FILE = {"en": "issue_workflow_en.txt", "zh-CN": "issue_workflow_zh.txt"}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_issue_report_reopen_verify(console: ConsoleDriver, app: App, locale: str) -> None:
    console.set_locale(locale)
    out = await console.run((SCRIPTS / SCRIPT_FILE[locale]).read_text())
    for expected in EXPECTED[locale]:
        assert expected in out, f"missing:\n{expected}\n--- in ---\n{out}"
    assert "Something went wrong" not in out
    assert "系统出错" not in out

    async with app.sessions() as session:
        issue = (await session.exec(select(Issue))).one()
        names = {m.id: m.name for m in (await session.exec(select(Member))).all()}
        depts = {d.id: d.name for d in (await session.exec(select(Department))).all()}
        assert (issue.number, issue.status, issue.urgency) == (1, "closed", "high")
        assert issue.category == "登录"
        assert names[issue.reporter_id] == "frank"
        assert names[issue.owner_id] == "erin"
        assert depts[issue.primary_department_id] == "研发部"
        assert issue.reopen_count == 1
        start = to_aware_utc(START)
        assert to_aware_utc(issue.triage_due_at) == start + timedelta(hours=2)
        assert to_aware_utc(issue.plan_due_at) == start + timedelta(hours=2)  # green channel
        assert to_aware_utc(issue.triaged_at) == start + timedelta(minutes=30)
        assert to_aware_utc(issue.planned_at) == start + timedelta(minutes=90)
        assert to_aware_utc(issue.resolved_at) == start + timedelta(days=1, minutes=90)
        assert to_aware_utc(issue.closed_at) == start + timedelta(days=1, minutes=90)
        assert (issue.triage_breached, issue.plan_breached) == (False, False)
        links = (await session.exec(select(IssueDepartment))).all()
        assert sorted((depts[d.department_id], d.role) for d in links) == [
            ("研发部", "involved"),
            ("运维部", "involved"),
            ("运维部", "support"),
        ]
        entries = (await session.exec(select(IssueEntry).order_by(col(IssueEntry.id)))).all()
        assert [(e.kind, names[e.author_id or 0]) for e in entries] == [
            ("report", "frank"),
            ("triage", "carol"),
            ("note", "gina"),
            ("plan", "erin"),
            ("progress", "erin"),
            ("resolve", "erin"),
            ("reopen", "frank"),
            ("progress", "erin"),
            ("resolve", "erin"),
            ("verify", "frank"),
        ]


async def test_audit_rows_of_one_full_workflow(console: ConsoleDriver, app: App) -> None:
    await console.run((SCRIPTS / "issue_workflow_en.txt").read_text())
    async with app.sessions() as session:
        issue = (await session.exec(select(Issue))).one()
        names = {m.id: m.name for m in (await session.exec(select(Member))).all()}
        rows = (
            await session.exec(
                select(AuditLog)
                .where(AuditLog.entity == "issue", AuditLog.entity_id == issue.id)
                .order_by(col(AuditLog.id))
            )
        ).all()
    assert [(r.action, names[r.actor_id or 0]) for r in rows] == [
        ("issue.report", "frank"),
        ("issue.triage", "carol"),
        ("issue.note", "gina"),
        ("issue.plan", "erin"),
        ("issue.progress", "erin"),
        ("issue.resolve", "erin"),
        ("issue.reopen", "frank"),
        ("issue.progress", "erin"),
        ("issue.resolve", "erin"),
        ("issue.verify", "frank"),
    ]
    assert all(r.platform == "console" and r.project_id == issue.project_id for r in rows)
    details = [json.loads(r.detail or "{}") for r in rows]
    assert details[0]["urgency"] == "high"
    assert details[0]["departments"] == ["研发部", "运维部"]
    assert (details[1]["from"], details[1]["primary"], details[1]["support"]) == (
        "open",
        "研发部",
        ["运维部"],
    )
    assert [(d.get("from"), d.get("to")) for d in details[5:]] == [
        ("triaged", "resolved"),
        ("resolved", "triaged"),
        ("triaged", "triaged"),
        ("triaged", "resolved"),
        ("resolved", "closed"),
    ]
    assert details[6]["text"] == "still fails on 4G"
    assert details[6]["reopen_count"] == 1
    assert [r.at for r in rows] == sorted(r.at for r in rows)

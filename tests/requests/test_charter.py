"""Project charter sign-off on the approval machinery: every participating department's
leader approves; one rejection (with a reason) rejects it; it can be sent again."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.main import App
from storage.tables import ApprovalStep, AuditLog, Project
from tests.console_driver import ConsoleDriver
from tests.request_helpers import all_rows, setup, snapshot

FLOW = {
    "en": """
        :as alice
        project edit goal:"Launch v2" scope:"App + site" budget:"500k CNY"
        project charter
        :as mallory
        :click 1
        :as erin
        :click 2
        project charter reject "Budget line missing"
        :as alice
        project charter
        :as bob
        project charter approve
        :as erin
        :click 1
        project
    """,
    "zh-CN": """
        :as alice
        项目 修改 目标:"上线 v2" 范围:"App 与官网" 预算:"50万"
        项目 章程
        :as mallory
        :click 1
        :as erin
        :click 2
        项目 章程 驳回 "缺少预算明细"
        :as alice
        项目 章程
        :as bob
        项目 章程 同意
        :as erin
        :click 1
        项目
    """,
}
EXPECTED = {
    "en": [
        "📜 Sent the charter of P1 Apollo for sign-off (waiting for sign-off):\n"
        "▶ Engineering @bob · ▶ Finance @erin",
        "Charter sign-off · P1 Apollo\n"
        "@alice asks every participating department's leader to sign off the project charter. "
        "This card is for Engineering.\n"
        "Goal: Launch v2\nScope: App + site\nTime: — → —\nBudget: 500k CNY\n"
        "Departments: Engineering, Finance\nOwner: @alice\nSponsor: @sam\nApprover: @bob\n"
        "Deadline: 11-25 09:00 (Asia/Shanghai)\n"
        "Chain: ▶ Engineering @bob · ▶ Finance @erin\n"
        "[1] Approve  [2] Reject\n"
        'Or type: `project charter approve` · `project charter reject "reason"`',
        "[to @erin] Charter sign-off · P1 Apollo",
        "Only @erin may decide this step of the charter of P1. Nothing was changed.",
        'Rejecting needs a reason. Type: `project charter reject "reason"`',
        "❌ Rejected by @erin · 11-23 09:00 — Budget line missing",
        "– Closed: rejected at another step (@erin · 11-23 09:00)",
        "❌ The charter of P1 Apollo was rejected by @erin: Budget line missing.",
        "✅ Approved by @bob · 11-23 09:00",
        "✅ The charter of P1 Apollo is signed off by all 2 departments.",
        "Charter: signed off",
    ],
    "zh-CN": [
        "📜 已发起 P1 阿波罗 的项目章程签署（待签批）：\n▶ 研发部 @bob · ▶ 财务部 @erin",
        "项目章程签署 · P1 阿波罗\n"
        "@alice 请各参与部门负责人签署项目章程。本卡片由 研发部 签署。\n"
        "目标: 上线 v2\n范围: App 与官网",
        "[1] 同意  [2] 驳回",
        "只有 @erin 可以审批 P1 项目章程 的这一步。未做任何更改。",
        '驳回需要填写理由。请输入：`项目 章程 驳回 "理由"`',
        "❌ @erin 已驳回 · 11-23 09:00 — 缺少预算明细",
        "– 已关闭：其他环节已驳回（@erin · 11-23 09:00）",
        "❌ P1 阿波罗 的项目章程被 @erin 驳回：缺少预算明细。",
        "✅ P1 阿波罗 的项目章程已获全部 2 个部门签署。",
        "项目章程: 已签批",
    ],
}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_charter_sign_off(console: ConsoleDriver, app: App, locale: str) -> None:
    await setup(console, locale)
    out = await console.run(FLOW[locale])
    for expected in EXPECTED[locale]:
        assert expected in out, f"missing:\n{expected}\n--- in ---\n{out}"
    steps = [s for s in await all_rows(app, ApprovalStep) if s.subject_type == "charter"]
    assert [(s.round, s.position, s.status) for s in steps] == [
        (1, 1, "cancelled"),
        (1, 2, "rejected"),
        (2, 3, "approved"),
        (2, 4, "approved"),
    ]
    project = (await all_rows(app, Project))[0]
    assert project.charter_status == "approved"
    charter_rows = [
        r.action for r in await all_rows(app, AuditLog) if r.action.startswith("charter.")
    ]
    assert charter_rows == [
        "charter.pending",
        "charter.rejected",
        "charter.pending",
        "charter.approved",
    ]


async def test_charter_refusals_change_nothing(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    before = await snapshot(app)
    out = await console.run("""
        :as mallory
        project charter
        :as alice
        project charter status
        project charter approve
        project charter sing
    """)
    assert "Only @alice, @sam may change the project P1" in out
    assert "The charter of P1 has not been sent for sign-off yet." in out
    assert "Nothing of the charter of P1 is waiting for sign-off." in out
    assert "“sing” is not something `project charter` can do." in out
    assert await snapshot(app) == before
    await console.run("project charter")
    before = await snapshot(app)
    out = await console.run("""
        project charter
        project charter approve
        :as bob
        project charter reject
    """)
    assert "The charter of P1 is already out for sign-off" in out
    assert "Only @bob, @erin still have to sign the charter of P1." in out
    assert 'Rejecting the charter needs a reason: `project charter reject "reason"`.' in out
    assert await snapshot(app) == before


async def test_charter_needs_leaders(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    out = await console.run("""
        :as alice
        project edit depts:Legal
        project charter
    """)
    assert "These departments have no leader to sign: Legal." in out
    async with app.sessions() as session:
        steps = (await session.exec(select(ApprovalStep))).all()
    assert steps == []

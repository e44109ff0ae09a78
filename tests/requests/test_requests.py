"""Issue #3 acceptance (resource requests): a budget over the threshold goes through three
steps with one suggested change accepted, then receipt, write-off and confirmation — in
English and in Chinese, with the audit rows of the whole workflow."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.main import App
from storage.tables import AuditLog, Member
from tests.console_driver import ConsoleDriver
from tests.request_helpers import all_rows, audit_actions, request_row, setup, steps_of

SHANGHAI = "Asia/Shanghai"

BUDGET_FLOW = {
    "en": """
        :as carol
        request new budget "Ads campaign" amount:8,000 from:12-01 to:12-05 purpose:"Launch promo" return:"invoice write-off"
        :as bob
        :click 1
        :as erin
        :click 3
        request R1 suggest "Start a week later, our Q4 budget opens 12-08" from:12-08 to:12-12
        :as carol
        request R1 accept
        :as alice
        :click 1
        :as carol
        request R1 received
        request R1 return "Invoice #2026-118"
        :as erin
        request R1 confirm
        :as carol
        request R1
    """,
    "zh-CN": """
        :as carol
        申请 新建 预算 "广告投放" 金额:8000 从:12-01 至:12-05 用途:"上线推广" 归还:"发票核销"
        :as bob
        :click 1
        :as erin
        :click 3
        申请 R1 建议 "推迟一周，四季度预算 12-08 才开放" 从:12-08 至:12-12
        :as carol
        申请 R1 接受
        :as alice
        :click 1
        :as carol
        申请 R1 领取
        申请 R1 核销 "发票号 2026-118"
        :as erin
        申请 R1 确认
        :as carol
        申请 R1
    """,
}

EXPECTED = {
    "en": [
        "📝 Created R1 · budget: Ads campaign · 8,000.00 CNY · 12-01 → 12-05\n"
        "Chain: ▶ Engineering @bob → ○ Finance @erin → ○ project owner/sponsor @alice\n"
        "step 1/3 with @bob (due 11-25 09:00)",
        # the card, exactly as laid out
        "Approval · R1 budget: Ads campaign\n"
        "@carol requests budget for P1 Apollo — step 1/3 (Engineering)\n"
        "Window: 12-01 → 12-05\n"
        "Purpose: Launch promo\n"
        "Amount: 8,000.00 CNY\n"
        "Return / write-off: invoice write-off\n"
        "Owning department: Finance\n"
        "Approver: @bob\n"
        "Deadline: 11-25 09:00 (Asia/Shanghai)\n"
        "Chain: ▶ Engineering @bob → ○ Finance @erin → ○ project owner/sponsor @alice\n"
        "[1] Approve  [2] Reject  [3] Suggest change\n"
        'Or type: `request R1 approve` · `request R1 reject "reason"` · '
        '`request R1 suggest "change" from:D to:D`',
        "[to @bob] Approval · R1 budget: Ads campaign",
        "[updated] Approval · R1 budget: Ads campaign",
        "Chain: ✓ Engineering @bob → ○ Finance @erin → ○ project owner/sponsor @alice\n"
        "✅ Approved by @bob · 11-23 09:00",
        "[to @carol] R1 Ads campaign: step 1/3 approved by @bob. Next: step 2/3 with @erin.",
        "Suggesting a change needs the change itself. Type: "
        '`request R1 suggest "change" from:D to:D`',
        "R1: change suggested at step 2/3; waiting for the requester.",
        "✏️ Change suggested by @erin · 11-23 09:00: Start a week later, our Q4 budget opens 12-08\n"
        "Waiting for @carol to accept or withdraw.",
        "[to @carol] ✏️ @erin suggests a change to R1 Ads campaign",
        "Accepted the suggestion on R1",
        "✅ Accepted by @carol · 11-23 09:00 — the request was updated and goes on.",
        "@carol requests budget for P1 Apollo — step 3/3 (project owner/sponsor)\n"
        "Window: 12-08 → 12-12",
        "[to @alice] Approval · R1 budget: Ads campaign",
        "✅ Approved by @alice · 11-23 09:00",
        "[to @carol] ✅ R1 Ads campaign is approved.",
        "Receipt of R1 confirmed. At the end, hand in the write-off evidence",
        "[to @erin] @carol handed in write-off evidence for R1 Ads campaign: Invoice #2026-118.",
        "R1 confirmed and closed.",
        "[to @carol] R1 Ads campaign is closed — @erin confirmed the return.",
        "R1 · budget: Ads campaign [closed]",
        "✓ 1. Engineering @bob — approved by @bob · 11-23 09:00\n"
        "✓ 2. Finance @erin — change suggested by @erin · 11-23 09:00: "
        "Start a week later, our Q4 budget opens 12-08 — accepted\n"
        "✓ 3. project owner/sponsor @alice — approved by @alice · 11-23 09:00",
        "Return / write-off evidence: Invoice #2026-118",
    ],
    "zh-CN": [
        "📝 已创建 R1 · 预算：广告投放 · 8,000.00 CNY · 12-01 → 12-05\n"
        "审批链：▶ 研发部 @bob → ○ 财务部 @erin → ○ 项目负责人/发起人 @alice\n"
        "第 1/3 步，审批人 @bob（截止 11-25 09:00）",
        "审批 · R1 预算：广告投放\n"
        "@carol 为 P1 阿波罗 申请预算 — 第 1/3 步（研发部）\n"
        "使用期: 12-01 → 12-05\n"
        "用途: 上线推广\n"
        "金额: 8,000.00 CNY\n"
        "归还/核销方式: 发票核销\n"
        "资源所属部门: 财务部\n"
        "审批人: @bob\n"
        "截止时间: 11-25 09:00 (Asia/Shanghai)\n"
        "审批链：▶ 研发部 @bob → ○ 财务部 @erin → ○ 项目负责人/发起人 @alice\n"
        "[1] 同意  [2] 驳回  [3] 建议调整",
        "✅ @bob 已同意 · 11-23 09:00",
        "[to @carol] R1 广告投放：第 1/3 步已由 @bob 同意。下一步：第 2/3 步，审批人 @erin。",
        '建议调整需要写明调整内容。请输入：`申请 R1 建议 "调整内容" 从:日期 至:日期`',
        "✏️ @erin 建议调整 · 11-23 09:00：推迟一周，四季度预算 12-08 才开放\n等待 @carol 接受或撤回。",
        "已接受 R1 的调整建议",
        "✅ @carol 已接受 · 11-23 09:00 — 申请已更新，审批继续。",
        "@carol 为 P1 阿波罗 申请预算 — 第 3/3 步（项目负责人/发起人）\n使用期: 12-08 → 12-12",
        "✅ @alice 已同意 · 11-23 09:00",
        "[to @carol] ✅ R1 广告投放 已审批通过。",
        "R1 已领取确认。结束后请提交核销凭证",
        "[to @erin] @carol 提交了核销凭证：R1 广告投放：发票号 2026-118。",
        "R1 已确认并关闭。",
        "R1 · 预算：广告投放 [已关闭]",
        "✓ 2. 财务部 @erin — @erin 建议调整 · 11-23 09:00：推迟一周，四季度预算 12-08 才开放 — 已接受",
        "归还说明/核销凭证: 发票号 2026-118",
    ],
}

FULL_WORKFLOW_AUDIT = [
    ("request.create", "request"),
    ("approval.open", "approval_step"),
    ("approval.approve", "approval_step"),
    ("approval.open", "approval_step"),
    ("approval.suggest", "approval_step"),
    ("request.suggested", "request"),
    ("approval.adjusted", "approval_step"),
    ("request.pending", "request"),
    ("approval.open", "approval_step"),
    ("approval.approve", "approval_step"),
    ("request.approved", "request"),
    ("request.received", "request"),
    ("request.returned", "request"),
    ("request.closed", "request"),
]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_budget_over_threshold_three_steps_with_accepted_suggestion(
    console: ConsoleDriver, app: App, locale: str
) -> None:
    await setup(console, locale)
    setup_rows = len(await audit_actions(app))
    out = await console.run(BUDGET_FLOW[locale])
    for expected in EXPECTED[locale]:
        assert expected in out, f"missing:\n{expected}\n--- in ---\n{out}"
    assert "Something went wrong" not in out

    request = await request_row(app)
    assert (request.kind, request.status, request.amount) == ("budget", "closed", Decimal("8000"))
    assert request.currency == "CNY"
    assert request.window_start is not None
    assert request.window_end is not None
    zone = ZoneInfo(SHANGHAI)
    assert request.window_start.astimezone(zone) == datetime(2026, 12, 8, tzinfo=zone)
    assert request.window_end.astimezone(zone) == datetime(2026, 12, 12, 23, 59, 59, tzinfo=zone)
    assert request.received_at is not None
    assert request.returned_at is not None
    assert request.closed_at is not None

    steps = await steps_of(app)
    assert [(s.rule, s.status) for s in steps] == [
        ("requester_leader", "approved"),
        ("owner_department", "adjusted"),
        ("threshold", "approved"),
    ]
    names = {s.position: s.approver_id for s in steps}
    assert len(set(names.values())) == 3
    # the suggestion's window, as UTC instants (12-08 00:00 to 12-12 23:59:59 in Shanghai)
    assert steps[1].proposal == (
        '{"from": "2026-12-07T16:00:00+00:00", "to": "2026-12-12T15:59:59+00:00"}'
    )

    actions = (await audit_actions(app))[setup_rows:]
    assert actions == FULL_WORKFLOW_AUDIT


async def test_audit_rows_name_actor_platform_and_project(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    await console.run(BUDGET_FLOW["en"])
    members = {m.id: m.name for m in await all_rows(app, Member)}
    rows = [r for r in await all_rows(app, AuditLog) if r.entity in ("request", "approval_step")]
    who = [(r.action, members.get(r.actor_id or 0)) for r in rows]
    assert ("approval.approve", "bob") in who
    assert ("approval.suggest", "erin") in who
    assert ("approval.adjusted", "carol") in who
    assert ("approval.approve", "alice") in who
    assert ("request.closed", "erin") in who
    assert all(r.platform == "console" and r.project_id == 1 for r in rows)
    assert all(r.at.tzinfo is not None for r in rows)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_below_threshold_needs_two_steps(
    console: ConsoleDriver, app: App, locale: str
) -> None:
    await setup(console, locale)
    line = {
        "en": 'request new budget "Posters" amount:5000 from:12-01 to:12-02 purpose:"x" return:"y"',
        "zh-CN": '申请 预算 "海报" 金额:5000 从:12-01 至:12-02 用途:"x" 归还:"y"',
    }[locale]
    await console.run(f":as carol\n{line}")
    assert [s.rule for s in await steps_of(app)] == ["requester_leader", "owner_department"]


async def test_leader_requesting_skips_own_step_automatically(
    console: ConsoleDriver, app: App
) -> None:
    """Step 1's approver is the requester: approved automatically, the card goes to step 2."""
    await setup(console, "en")
    out = await console.run("""
        :as bob
        request new material "Booth" qty:2 from:12-01 to:12-03 purpose:"Fair" return:"Back to admin"
    """)
    steps = await steps_of(app)
    assert [(s.rule, s.status) for s in steps] == [
        ("requester_leader", "auto"),
        ("owner_department", "pending"),
    ]
    assert "Chain: ✓ Engineering @bob → ▶ Administration @dave" in out
    assert "[to @dave] Approval · R1 material: Booth" in out
    assert "[to @bob] Approval" not in out
    view = await console.run("request R1")
    assert "✓ 1. Engineering @bob — approved automatically" in view
    assert "Quantity: 2" in view


async def test_configured_resource_manager_threshold_and_step_days(
    console: ConsoleDriver, app: App
) -> None:
    """settings.requests: Finance's resources are managed by frank, budgets over 500 need the
    owner, and a step has 3 working days."""
    app.settings.requests.resource_managers["finance"] = "frank"
    app.settings.requests.budget_threshold = 500
    app.settings.requests.step_working_days = 3
    await setup(console, "en")
    out = await console.run("""
        member @frank dept:Finance
        :as carol
        request new budget "Ads" amount:800 from:12-01 to:12-05 purpose:"p" return:"r"
    """)
    assert "Chain: ▶ Engineering @bob → ○ Finance @frank → ○ project owner/sponsor @alice" in out
    assert "Deadline: 11-26 09:00 (Asia/Shanghai)" in out
    await console.run(":as bob\nrequest R1 approve\n:as frank\nrequest R1 approve")
    await console.run(":as alice\nrequest R1 approve\n:as carol\nrequest R1 received")
    await console.run('request R1 return "Invoice 7"')
    mine = await console.run(":as frank\nmy")
    assert "R1 Ads — handed back by @carol (Invoice 7); confirm: `request R1 confirm`" in mine
    assert "R1 confirmed and closed." in await console.run("request R1 confirm")


async def test_accepted_change_over_the_threshold_adds_the_owner_step(
    console: ConsoleDriver, app: App
) -> None:
    await setup(console, "en")
    await console.run("""
        :as carol
        request new budget "Ads" amount:3000 from:12-01 to:12-05 purpose:"p" return:"r"
        :as bob
        request R1 approve
        :as erin
        request R1 suggest amount:6000
    """)
    out = await console.run(":as carol\nrequest R1 accept")
    assert "Accepted the suggestion on R1 (“amount 6,000.00”)" in out
    assert "@carol requests budget for P1 Apollo — step 3/3 (project owner/sponsor)" in out
    steps = await steps_of(app)
    assert [(s.rule, s.status) for s in steps] == [
        ("requester_leader", "approved"),
        ("owner_department", "adjusted"),
        ("threshold", "pending"),
    ]
    assert (await request_row(app)).amount == Decimal("6000")


async def test_mistyped_request_verb_gets_a_suggestion(console: ConsoleDriver) -> None:
    await setup(console, "en")
    out = await console.run("request lsit")
    assert "“lsit” is not something `request` can do. Did you mean list?" in out

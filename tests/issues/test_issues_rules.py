"""Issue tracker rules: who may do what (refusals change nothing), malformed input gets a clear
error with the usage line, state conflicts, item ids, list filters, edits and ``my``."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.main import App
from storage.tables import AuditLog, Issue, IssueDepartment, IssueEntry
from tests.console_driver import ConsoleDriver

SETUP = """
    :as alice
    dept add 研发部 leader:@bob
    dept add 运维部 leader:@dave
    dept add 市场部 leader:@mia
    member @erin dept:研发部
    member @gina dept:运维部
    member @frank dept:市场部
    member @olga dept:运维部
    project new "Apollo" depts:研发部,运维部,市场部 coordinator:@carol
    :as frank
    issue report "Checkout slow" urgency:low depts:研发部 category:支付
    issue report "Login fails" urgency:high depts:研发部,运维部 category:登录
    :as carol
    issue I2 triage primary:研发部 support:运维部 owner:@erin eta:D+2
"""


async def _snapshot(app: App) -> tuple[object, ...]:
    async with app.sessions() as session:
        issues = [
            (
                i.number,
                i.status,
                i.owner_id,
                i.primary_department_id,
                i.eta_at,
                i.urgency,
                i.title,
                i.triaged_at,
                i.planned_at,
                i.resolved_at,
                i.closed_at,
                i.reopen_count,
            )
            for i in (await session.exec(select(Issue).order_by(col(Issue.id)))).all()
        ]
        links = sorted(
            (d.issue_id, d.department_id, d.role)
            for d in (await session.exec(select(IssueDepartment))).all()
        )
        entries = len((await session.exec(select(IssueEntry))).all())
        audit = len((await session.exec(select(AuditLog))).all())
    return issues, links, entries, audit


async def test_refused_actions_name_who_may_and_change_nothing(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP)
    before = await _snapshot(app)
    out = await console.run("""
        :as erin
        issue I1 triage primary:研发部 owner:@erin eta:D+2
        :as frank
        issue I2 progress "I am not in 研发部"
        :as mia
        issue I2 note "marketing has no say here"
        :as gina
        issue I2 resolve
        :as erin
        issue I2 resolve "fixed"
    """)
    assert "Only @alice, @carol may triage I1 (the coordinator or the PM)." in out
    assert (
        "Only 研发部, @erin may post progress on I2 (the primary department or the owner)." in out
    )
    assert "Only 研发部, 运维部, @erin, @frank may add help notes to I2" in out
    assert (
        "Only @alice, @carol, @erin may resolve I2 (its owner, the coordinator or the PM)." in out
    )
    before = await _snapshot(app)
    out = await console.run("""
        :as gina
        issue I2 verify
        issue I2 reopen "not fixed for ops"
        issue I2 edit urgency:low
        :as erin
        issue I2 verify
    """)
    assert (
        "Only @carol, @frank may verify, close or reopen I2 (its reporter or the coordinator)."
        in out
    )
    assert (
        "Only @alice, @carol, @frank may edit I2 (its reporter, the coordinator or the PM)." in out
    )
    assert out.count("Only @carol, @frank may verify, close or reopen I2") == 3
    assert await _snapshot(app) == before


async def test_department_people_may_act(console: ConsoleDriver, app: App) -> None:
    """Members and leaders of the right departments, the reporter, the PM and the coordinator
    pass the checks."""
    await console.run(SETUP)
    out = await console.run("""
        :as bob
        issue I2 progress "研发部 leader: rollback planned"
        :as olga
        issue I2 note "运维部 member: logs attached"
        :as dave
        issue I2 note "运维部 leader: more servers"
        :as frank
        issue I2 note "reporter: also on iOS"
        :as alice
        issue I2 resolve "PM closes the work"
        :as carol
        issue I2 verify "coordinator verified"
    """)
    assert "I2 Login fails — progress from @bob: 研发部 leader: rollback planned" in out
    assert "help from @olga (运维部)" in out
    assert "help from @dave" in out
    assert "help from @frank (市场部): reporter: also on iOS" in out
    assert "I2 Login fails resolved by @alice: PM closes the work" in out
    assert "✅ I2 Login fails verified and closed by @carol: coordinator verified" in out


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("issue report", "Missing the issue title"),
        (
            'issue report "X" urgency:urgentish',
            "“urgentish” is not an urgency; use high, medium or low (高/中/低).",
        ),
        ('issue report "X" depts:财务部', "There is no department “财务部”."),
        ('issue report "X" colour:red', "Unknown option “colour:”."),
        ("issue I1 triage primary:研发部 owner:@erin", "A triage needs eta: too"),
        (
            "issue I1 triage primary:研发部 owner:@erin eta:13-45",
            "“13-45” is not a date I understand.",
        ),
        (
            "issue I1 triage primary:研发部 owner:@erin eta:2026-11-20",
            "The ETA “2026-11-20” is not in the future.",
        ),
        ("issue I1 triage eta:D+2", "A triage needs primary:, owner: too"),
        ("issue I9 triage primary:研发部 owner:@erin eta:D+2", "There is no issue I9"),
        (
            "issue I1 progress",
            "I1 is awaiting triage, so it cannot be updated. That works when it is: in progress.",
        ),
        (
            "issue I2 reopen",
            "I2 is in progress, so it cannot be reopened. That works when it is: "
            "resolved / closed.",
        ),
        ("issue I2 verify", "I2 is in progress, so it cannot be verified and closed."),
        ("issue list foo", "“foo” is not a list filter"),
        ("issue stats days:0", "“0” is not a number of days from 1 to 366."),
        ("issue stats since:2027-01-01", "“2027-01-01” is in the future."),
        ("issue I1 frobnicate", "“frobnicate” is not something `issue` can do."),
    ],
)
async def test_bad_input_is_explained_and_changes_nothing(
    console: ConsoleDriver, app: App, line: str, expected: str
) -> None:
    await console.run(SETUP)
    before = await _snapshot(app)
    out = await console.run(f":as carol\n{line}")
    assert expected in out
    # A malformed command also shows its usage line; a missing item or a state conflict does not.
    malformed = not any(word in expected for word in ("There is no issue", "cannot be"))
    assert ("Usage: issue" in out) is malformed
    assert await _snapshot(app) == before


async def test_bad_input_in_chinese(console: ConsoleDriver, app: App) -> None:
    console.set_locale("zh-CN")
    await console.run(SETUP)
    before = await _snapshot(app)
    out = await console.run("""
        :as frank
        问题 上报
        问题 上报 "支付失败" 紧急程度:特急
        :as carol
        问题 I1 分派 主责:研发部 负责人:@erin 预计:明年某天
        问题 I2 重开
        :as gina
        问题 I2 验证
    """)
    assert "缺少问题标题" in out
    assert '用法：问题 上报 "<标题>" [紧急程度:高|中|低]' in out
    assert "“特急”不是有效的紧急程度，请使用 高/中/低（high/medium/low）。" in out
    assert "无法识别日期“明年某天”" in out
    assert "I2 当前为「处理中」，不能重开。该操作只适用于：已解决 / 已关闭。" in out
    assert "只有 @carol, @frank 可以验证关闭或重开 I2（上报人或协调人）。" in out
    assert await _snapshot(app) == before


async def test_triage_defaults_retriage_and_chinese_aliases(
    console: ConsoleDriver, app: App
) -> None:
    console.set_locale("zh-CN")
    await console.run(SETUP)
    out = await console.run("""
        :as carol
        问题 I1 分派 @erin 预计解决时间:D+3
        问题 I1 分派 配合:运维部,市场部
        问题 I1 分派
    """)
    assert (
        "已分派 I1 Checkout slow：主责部门 研发部，配合部门 —，负责人 @erin，预计解决时间 11-26。"
        in out
    )
    assert "已重新分派 I1 Checkout slow：主责部门 研发部，配合部门 运维部, 市场部" in out
    assert "没有要修改的内容" in out
    out = await console.run("""
        :as alice
        问题 上报 "服务器告警" 紧急程度:中 部门:运维部
        问题 I3 分派 主责:运维部 预计:D+1
    """)
    assert "负责人 @dave" in out  # the primary department's leader by default


async def test_item_ids_edit_and_filters(console: ConsoleDriver, app: App) -> None:
    await console.run(SETUP)
    out = await console.run("""
        :as frank
        issue i1
        issue #1 edit urgency:high title:"Checkout very slow"
        issue 1
        issue list
        issue list mine
        issue list high
        issue list dept:运维部
        issue list urgency:低
        issue list category:登录
        issue list closed
    """)
    assert "I1 · Checkout slow [awaiting triage]" in out
    assert "Updated I1: Title → Checkout very slow, Urgency → high." in out
    assert "Plan SLA (green channel, 2 h): due 11-23 11:00 (in 2h 0m)" in out
    assert "  11-23 09:00 @frank — edited: Title → Checkout very slow, Urgency → high" in out
    assert (
        "Awaiting triage (1)\n• 🔴 I1 Checkout very slow [high]\n"
        "In progress (1)\n• 🔴 I2 Login fails [high] — @erin · 研发部 · ETA 11-25\n"
        "2 shown · 0 with a missed SLA · filter: open"
    ) in out
    assert "filter: open · mine" in out
    assert "2 shown · 0 with a missed SLA · filter: open · high" in out
    assert "1 shown · 0 with a missed SLA · filter: open · 运维部" in out
    assert "No issues (open · low)." in out
    assert "1 shown · 0 with a missed SLA · filter: open · 登录" in out
    assert "No issues (closed)." in out
    async with app.sessions() as session:
        issue = (await session.exec(select(Issue).where(Issue.number == 1))).one()
        assert (issue.title, issue.urgency) == ("Checkout very slow", "high")
        assert issue.plan_due_at == issue.triage_due_at  # the green-channel clock


async def test_my_lists_issues_waiting_for_the_actor(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.run("""
        :as carol
        my
        :as erin
        my
        issue I2 progress "hotfix branch"
        issue I2 resolve
        my
        :as frank
        my
        :as gina
        my
    """)
    assert (
        "Issues waiting for you (1)\n"
        "• I1 Checkout slow [low] (P1 Apollo) — triage (due 11-23 11:00)"
    ) in out
    assert (
        "Issues waiting for you (1)\n"
        "• I2 Login fails [high] (P1 Apollo) — post the solution plan (due 11-23 11:00)"
    ) in out
    assert (
        "Issues waiting for you (1)\n"
        "• I2 Login fails [high] (P1 Apollo) — resolved — verify or reopen"
    ) in out
    assert out.count("Issues waiting for you") == 3  # erin's list is empty after resolving


async def test_help_lists_the_issue_family(console: ConsoleDriver) -> None:
    out = await console.run("help\nhelp 问题")
    assert "issue / 问题 — report, triage and close issues" in out
    assert "issue I7 triage primary:Dept [support:A,B] owner:@u eta:D" in out
    console.set_locale("zh-CN")
    out = await console.run("帮助 问题")
    assert "问题 I7 分派 主责:部门 [配合:A,B] 负责人:@某人 预计:日期" in out


async def test_issues_need_a_project_group(console: ConsoleDriver, app: App) -> None:
    await console.run(SETUP)
    before = await _snapshot(app)
    out = await console.run(':in hallway\nissue report "Coffee machine broken"\nissue list')
    assert out.count("This chat is not bound to a project yet.") == 2
    assert await _snapshot(app) == before


def test_issue_catalogs_have_the_same_keys_and_placeholders() -> None:
    import re
    import tomllib
    from pathlib import Path

    def flat(table: dict[str, object], prefix: str = "") -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            out.update(flat(value, name) if isinstance(value, dict) else {name: str(value)})
        return out

    root = Path(__file__).parents[2] / "bot" / "text" / "locales"
    en, zh = (
        flat(tomllib.loads((root / loc / "issues.toml").read_text())) for loc in ("en", "zh-CN")
    )
    assert en.keys() == zh.keys()
    names = re.compile(r"{{\s*(\w+)")
    for key in en:
        assert set(names.findall(en[key])) == set(names.findall(zh[key])), key

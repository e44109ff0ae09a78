"""``issue`` / ``问题``: report, edit and triage issues; the family with all its verbs.

The closed loop after triage (progress, notes, resolve, verify, reopen) is in ``issue_flow``;
lists and the ``my`` section in ``issue_lists``; the weekly statistics in ``issue_stats``.
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.dates.clock import to_aware_utc
from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.framework import Args, Family, ItemVerb, Verb
from commands.issues import flow as issue_flow
from commands.issues import lists as issue_lists
from commands.issues import stats as issue_stats
from commands.issues import triage as issue_triage
from commands.issues.access import check_edit, get_issue, triager_ids
from commands.issues.views import fold_aliases, parse_urgency, ref, show_issue, urgency_label
from storage.issues import queries as issues
from storage.rows import id_of
from storage.tables import Department, Issue, IssueRole, Urgency

TRIAGE_SLA = timedelta(hours=2)
PLAN_SLA = timedelta(hours=24)
GREEN_CHANNEL_PLAN_SLA = timedelta(hours=2)

REPORT_OPTIONS = frozenset(
    {"title", "urgency", "depts", "dept", "category", "desc", "涉及部门", "优先级"}
)
EDIT_OPTIONS = REPORT_OPTIONS
TRIAGE_OPTIONS = frozenset({"primary", "support", "owner", "eta", "预计解决时间"})


def plan_due(issue: Issue) -> timedelta:
    return GREEN_CHANNEL_PLAN_SLA if issue.urgency == Urgency.HIGH else PLAN_SLA


async def _departments(ctx: Context, args: Args) -> list[Department]:
    names = args.option_list("depts") + args.option_list("dept")
    return [await common.resolve_department(ctx, n, usage=args.usage) for n in names]


def _new_issue(ctx: Context, args: Args) -> Issue:
    """The issue described by ``args``, with its SLA clocks started now (domain §2)."""
    title = args.option("title") or args.text()
    if not title:
        raise UsageError("error.issue_missing_title", usage="issue.report")
    now = ctx.now_utc()
    issue = Issue(
        project_id=id_of(common.require_project(ctx)),
        number=0,
        title=title,
        description=args.option("desc") or None,
        urgency=parse_urgency(args.option("urgency") or "medium", usage="issue.report"),
        category=args.option("category") or None,
        reporter_id=ctx.actor_id,
        triage_due_at=now + TRIAGE_SLA,
        created_at=now,
        updated_at=now,
    )
    issue.plan_due_at = now + plan_due(issue)
    return issue


async def report(ctx: Context, args: Args) -> None:
    fold_aliases(args)
    issue = _new_issue(ctx, args)
    departments = await _departments(ctx, args)
    await issues.add_issue(ctx.session, issue)
    await issues.set_departments(
        ctx.session,
        issue_id=id_of(issue),
        role=IssueRole.INVOLVED,
        department_ids=_ids(departments),
    )
    issues.add_entry(
        ctx.session,
        issue_id=id_of(issue),
        author_id=ctx.actor_id,
        kind="report",
        text=None,
        at=issue.created_at,
    )
    ctx.audit(
        "issue.report",
        "issue",
        issue.id,
        number=issue.number,
        title=issue.title,
        urgency=issue.urgency,
        category=issue.category,
        departments=[d.name for d in departments],
    )
    await _reported_reply(ctx, issue, departments)


def _ids(departments: list[Department]) -> list[int]:
    return [d.id for d in departments if d.id is not None]


async def _reported_reply(ctx: Context, issue: Issue, departments: list[Department]) -> None:
    msg = ctx.message()
    msg.section(
        ctx.t(
            "issue.reported",
            ref=ref(issue),
            title=issue.title,
            urgency=urgency_label(ctx, issue.urgency),
            departments=", ".join(d.name for d in departments) or "—",
        )
    )
    triagers = await common.member_map(ctx, await triager_ids(ctx, common.require_project(ctx)))
    key = "issue.reported_sla_green" if issue.urgency == Urgency.HIGH else "issue.reported_sla"
    msg.context(
        ctx.t(
            key,
            who=", ".join(msg.mention(m.id, m.name) for m in triagers.values()) or "—",
            triage_due=timefmt.moment(ctx, issue.triage_due_at),
            plan_due=timefmt.moment(ctx, issue.plan_due_at),
            ref=ref(issue),
        )
    )
    ctx.reply(msg)


async def show(ctx: Context, number: int, args: Args) -> None:
    ctx.reply(await show_issue(ctx, await get_issue(ctx, number)))


async def edit(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    await check_edit(ctx, issue)
    fold_aliases(args)
    if not args.options and args.text():
        args.set_option("title", args.text())
    changes = await _edit_fields(ctx, issue, args)
    if not changes:
        raise UsageError("error.nothing_to_change", usage="issue.edit")
    now = ctx.now_utc()
    issue.updated_at = now
    ctx.session.add(issue)
    issues.add_entry(
        ctx.session,
        issue_id=id_of(issue),
        author_id=ctx.actor_id,
        kind="edit",
        text=json.dumps(changes, ensure_ascii=False),
        at=now,
    )
    ctx.audit("issue.edit", "issue", issue.id, number=issue.number, changes=changes)
    msg = await show_issue(ctx, issue, timeline=False)
    summary = ", ".join(f"{ctx.t('issue.field.' + k)} → {v}" for k, v in changes.items())
    msg.context(ctx.t("issue.edited", ref=ref(issue), changes=summary))
    ctx.reply(msg)


async def _edit_fields(ctx: Context, issue: Issue, args: Args) -> dict[str, str]:
    """Apply title/desc/urgency/category/departments; return ``field → new value`` shown."""
    changes: dict[str, str] = {}
    for key in ("title", "desc", "category"):
        value = args.option(key)
        if value is not None and (value or key != "title"):
            setattr(issue, "description" if key == "desc" else key, value or None)
            changes[key] = value or "—"
    if (urgency := args.option("urgency")) is not None:
        issue.urgency = parse_urgency(urgency, usage="issue.edit")
        if issue.planned_at is None and not issue.plan_breached:
            # The plan clock follows the urgency: a green-channel issue owes its plan sooner.
            issue.plan_due_at = to_aware_utc(issue.created_at) + plan_due(issue)
        changes["urgency"] = urgency_label(ctx, issue.urgency)
    if args.has("depts") or args.has("dept"):
        departments = await _departments(ctx, args)
        await issues.set_departments(
            ctx.session,
            issue_id=id_of(issue),
            role=IssueRole.INVOLVED,
            department_ids=_ids(departments),
        )
        changes["involved"] = ", ".join(d.name for d in departments) or "—"
    return changes


# The "issues waiting for you" section of ``my`` (registered in ``commands/__init__``).
my_issues = issue_lists.my_issues


def family() -> Family:
    flow = issue_flow
    return Family(
        name="issue",
        words=("issue", "issues", "问题", "i"),
        usage="issue",
        item_prefix="I",
        verbs=(
            Verb(
                ("report", "new", "add", "上报", "报告", "新建"),
                report,
                "issue.report",
                REPORT_OPTIONS,
            ),
            Verb(
                ("list", "ls", "列表"),
                issue_lists.list_issues,
                "issue.list",
                issue_lists.LIST_OPTIONS,
            ),
            Verb(
                ("stats", "statistics", "统计"),
                issue_stats.stats,
                "issue.stats",
                issue_stats.STATS_OPTIONS,
            ),
        ),
        item_default=ItemVerb(("show",), show, "issue.show"),
        item_verbs=(
            ItemVerb(("show", "查看", "详情"), show, "issue.show"),
            ItemVerb(
                ("triage", "assign", "分派", "指派", "分配"),
                issue_triage.triage,
                "issue.triage",
                TRIAGE_OPTIONS,
            ),
            ItemVerb(("progress", "update", "进展", "更新"), flow.progress, "issue.progress"),
            ItemVerb(("note", "help", "协助", "备注"), flow.note, "issue.note"),
            ItemVerb(("resolve", "解决"), flow.resolve, "issue.resolve"),
            ItemVerb(("verify", "close", "验证", "关闭", "闭环"), flow.verify, "issue.verify"),
            ItemVerb(
                ("reopen", "重开", "重新打开"), flow.reopen, "issue.reopen", frozenset({"reason"})
            ),
            ItemVerb(("edit", "修改", "编辑"), edit, "issue.edit", EDIT_OPTIONS),
        ),
    )

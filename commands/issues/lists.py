"""``issue list [open|mine|breached|closed|all] [dept:X] [urgency:high] [category:X]`` and the
"issues waiting for you" section of ``my``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args
from commands.issues.views import (
    breach_marks,
    issue_line,
    parse_urgency,
    title_tag,
    urgency_label,
    urgency_or_none,
)
from storage.issues import queries as issues
from storage.issues.queries import IssueFilter
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Issue, IssueStatus, Urgency

LIST_OPTIONS = frozenset({"dept", "urgency", "category"})
SCOPES = {
    "open": "open",
    "未关闭": "open",
    "待处理": "open",
    "mine": "mine",
    "my": "mine",
    "我的": "mine",
    "breached": "breached",
    "overdue": "breached",
    "超时": "breached",
    "逾期": "breached",
    "closed": "closed",
    "已关闭": "closed",
    "all": "all",
    "全部": "all",
    "所有": "all",
}
STATUS_ORDER = tuple(IssueStatus)
URGENCY_ORDER: dict[str, int] = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}


async def _filter(ctx: Context, args: Args) -> tuple[IssueFilter, list[str]]:
    """The filter from words and options, and how to describe it to the reader."""
    scope, mine, urgency = "open", False, None
    for token in args.positional:
        word = token.text.strip().lower()
        if word in SCOPES:
            mine = mine or SCOPES[word] == "mine"
            scope = scope if SCOPES[word] == "mine" else SCOPES[word]
        elif (found := urgency_or_none(word)) is not None:
            urgency = found
        else:
            raise UsageError("error.issue_bad_filter", usage="issue.list", value=token.text)
    if (value := args.option("urgency")) is not None:
        urgency = parse_urgency(value, usage="issue.list")
    department = None
    if (name := args.option("dept")) is not None:
        department = await common.resolve_department(ctx, name, usage="issue.list")
    category = args.option("category") or None
    words = [ctx.t(f"issue.scope.{scope}")] + ([ctx.t("issue.scope.mine")] if mine else [])
    words += [urgency_label(ctx, urgency)] if urgency else []
    words += [department.name] if department else []
    words += [category] if category else []
    where = IssueFilter(
        scope=scope,
        member_id=ctx.actor_id if mine else None,
        department_id=department.id if department else None,
        urgency=urgency,
        category=category,
    )
    return where, words


async def list_issues(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    where, words = await _filter(ctx, args)
    rows = await issues.find_issues(
        ctx.session, project_id=id_of(project), now=ctx.now_utc(), where=where
    )
    msg = ctx.message()
    msg.header(ctx.t("issue.list_header", ref=f"P{project.id}", name=project.name))
    if not rows:
        msg.section(ctx.t("issue.list_empty", filter=" · ".join(words)))
        ctx.reply(msg)
        return
    members = await common.member_map(ctx, [i.owner_id for i in rows])
    departments = await common.department_map(ctx, [i.primary_department_id for i in rows])
    for status in STATUS_ORDER:
        group = sorted((i for i in rows if i.status == status), key=_rank)
        if group:
            lines = [ctx.t(f"issue.group.{status}", count=len(group))]
            lines += [
                "• " + issue_line(ctx, msg, i, members, departments, with_status=False)
                for i in group
            ]
            msg.lines(lines)
    breached = sum(1 for i in rows if breach_marks(ctx, i))
    msg.context(
        ctx.t("issue.list_footer", count=len(rows), breached=breached, filter=" · ".join(words))
    )
    ctx.reply(msg)


def _rank(issue: Issue) -> tuple[int, int]:
    return URGENCY_ORDER.get(issue.urgency, 1), issue.number


async def my_issues(ctx: Context, msg: MessageBuilder) -> None:
    """``my``: issues where the actor must act — triage (coordinator/PM), progress or resolve
    (owner), verify (reporter of a resolved issue). Nothing is added when there are none."""
    waiting = [
        ("triage", await issues.awaiting_triage_by(ctx.session, ctx.actor_id)),
        (
            "work",
            await issues.issues_with(
                ctx.session, status=IssueStatus.TRIAGED, owner_id=ctx.actor_id
            ),
        ),
        (
            "verify",
            await issues.issues_with(
                ctx.session, status=IssueStatus.RESOLVED, reporter_id=ctx.actor_id
            ),
        ),
    ]
    count = sum(len(rows) for _, rows in waiting)
    if not count:
        return
    lines = [ctx.t("issue.my_title", count=count)]
    names = await _project_names(ctx, [i.project_id for _, rows in waiting for i in rows])
    for action, rows in waiting:
        lines += [await _my_line(ctx, issue, action, names) for issue in rows]
    msg.lines(lines)


async def _project_names(ctx: Context, ids: Sequence[int]) -> dict[int, str]:
    out = {}
    for project_id in dict.fromkeys(ids):
        project = await projects.get_project(ctx.session, project_id)
        out[project_id] = project.name if project else "?"
    return out


async def _my_line(ctx: Context, issue: Issue, action: str, names: dict[int, str]) -> str:
    if action == "triage":
        todo = ctx.t("issue.my_triage", due=timefmt.moment(ctx, issue.triage_due_at))
    elif action == "work" and issue.planned_at is None:
        todo = ctx.t("issue.my_plan", due=timefmt.moment(ctx, issue.plan_due_at))
    elif action == "work":
        todo = ctx.t("issue.my_resolve", eta=timefmt.eta(ctx, issue.eta_at))
    else:
        todo = ctx.t("issue.my_verify")
    marks = "".join(" ⚠ " + m for m in breach_marks(ctx, issue))
    return ctx.t(
        "issue.my_line",
        issue=title_tag(ctx, issue),
        project=f"P{issue.project_id} {names[issue.project_id]}",
        todo=todo + marks,
    )

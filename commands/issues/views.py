"""How issues read: labels, SLA states, one-line entries, the full card with its timeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.dates.clock import to_aware_utc
from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args
from commands.issues.access import coordinator_ids, triager_ids
from storage.issues import queries as issues
from storage.rows import id_of
from storage.tables import Department, Issue, IssueEntry, IssueRole, IssueStatus, Member, Urgency

_URGENCY_WORDS = {
    "high": Urgency.HIGH,
    "h": Urgency.HIGH,
    "urgent": Urgency.HIGH,
    "高": Urgency.HIGH,
    "紧急": Urgency.HIGH,
    "medium": Urgency.MEDIUM,
    "med": Urgency.MEDIUM,
    "m": Urgency.MEDIUM,
    "normal": Urgency.MEDIUM,
    "中": Urgency.MEDIUM,
    "一般": Urgency.MEDIUM,
    "low": Urgency.LOW,
    "l": Urgency.LOW,
    "低": Urgency.LOW,
}
# Option spellings the shared alias table does not know, folded here (glossary words).
LOCAL_ALIASES = {"预计解决时间": "eta", "涉及部门": "depts", "优先级": "urgency"}
_MARKS: dict[str, str] = {Urgency.HIGH: "🔴", Urgency.MEDIUM: "🟠", Urgency.LOW: "⚪"}


def fold_aliases(args: Args) -> Args:
    """Move options spelled with ``LOCAL_ALIASES`` keys to their canonical keys."""
    for alias, key in LOCAL_ALIASES.items():
        if alias in args.options:
            args.options.setdefault(key, []).extend(args.options.pop(alias))
    return args


def urgency_or_none(text: str) -> str | None:
    return _URGENCY_WORDS.get(text.strip().lower())


def parse_urgency(text: str, *, usage: str) -> str:
    """``high``/``高``/``urgent`` … → ``high``; anything else is a ``UsageError``."""
    found = urgency_or_none(text)
    if found is None:
        raise UsageError("error.issue_bad_urgency", usage=usage, value=text)
    return found


def status_label(ctx: Context, status: str) -> str:
    return ctx.t(f"issue.status.{status}")


def urgency_label(ctx: Context, urgency: str) -> str:
    return ctx.t(f"issue.urgency.{urgency}")


def ref(issue: Issue) -> str:
    return f"I{issue.number}"


def sla_parts(issue: Issue, kind: str) -> tuple[datetime | None, datetime | None, bool]:
    """(due, done, flagged) of the triage or plan SLA."""
    if kind == "triage":
        return issue.triage_due_at, issue.triaged_at, issue.triage_breached
    return issue.plan_due_at, issue.planned_at, issue.plan_breached


def sla_late(issue: Issue, kind: str, now: datetime) -> bool:
    """Whether the triage / plan SLA was (or is being) missed."""
    due, done, flagged = sla_parts(issue, kind)
    if flagged or due is None:
        return flagged
    return to_aware_utc(done or now) > to_aware_utc(due)


def sla_text(ctx: Context, issue: Issue, kind: str) -> str:
    """``met 09:40`` / ``due 11:00 (in 1h 20m)`` / ``⚠ missed (due 11:00)``."""
    due, done, _ = sla_parts(issue, kind)
    if due is None:
        return "—"
    late = sla_late(issue, kind, ctx.now())
    when = timefmt.moment(ctx, due)
    if done is not None:
        key = "issue.sla_met_late" if late else "issue.sla_met"
        return ctx.t(key, at=timefmt.moment(ctx, done), due=when)
    if late:
        return ctx.t(
            "issue.sla_missed", due=when, late=timefmt.span(ctx.t, ctx.now() - to_aware_utc(due))
        )
    if issue.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
        return "—"
    return ctx.t("issue.sla_due", due=when, left=timefmt.span(ctx.t, to_aware_utc(due) - ctx.now()))


def breach_marks(ctx: Context, issue: Issue) -> list[str]:
    if issue.status == IssueStatus.CLOSED:
        return []
    now = ctx.now()
    return [ctx.t(f"issue.breached_{k}") for k in ("triage", "plan") if sla_late(issue, k, now)]


def title_tag(ctx: Context, issue: Issue) -> str:
    """``I3 Login fails [high]`` / ``I3 登录失败【高】``."""
    return ctx.t(
        "issue.title_tag",
        ref=ref(issue),
        title=issue.title,
        urgency=urgency_label(ctx, issue.urgency),
    )


def issue_line(
    ctx: Context,
    msg: MessageBuilder,
    issue: Issue,
    members: dict[int, Member],
    departments: dict[int, Department],
    *,
    with_status: bool = True,
) -> str:
    """``🔴 I3 Login fails [high] — awaiting triage · @bob · 研发部 · ETA 11-25 · ⚠ …``"""
    parts = [status_label(ctx, issue.status)] if with_status else []
    owner = members.get(issue.owner_id or 0)
    if owner is not None:
        parts.append(msg.mention(owner.id, owner.name))
    if issue.primary_department_id in departments:
        parts.append(departments[issue.primary_department_id or 0].name)
    if issue.eta_at is not None:
        parts.append(ctx.t("issue.eta_short", eta=timefmt.eta(ctx, issue.eta_at)))
    parts += ["⚠ " + mark for mark in breach_marks(ctx, issue)]
    head = f"{_MARKS[issue.urgency]} {title_tag(ctx, issue)}"
    return head + (" — " + " · ".join(parts) if parts else "")


async def show_issue(ctx: Context, issue: Issue, *, timeline: bool = True) -> MessageBuilder:
    msg = ctx.message()
    msg.header(
        ctx.t(
            "issue.header",
            ref=ref(issue),
            title=issue.title,
            status=status_label(ctx, issue.status),
        )
    )
    msg.fields(await _fields(ctx, msg, issue))
    if issue.description:
        msg.section(issue.description)
    if timeline:
        msg.lines(await timeline_lines(ctx, msg, issue))
    hint = await next_step(ctx, msg, issue)
    if hint:
        msg.context(hint)
    return msg


async def _fields(ctx: Context, msg: MessageBuilder, issue: Issue) -> list[tuple[str, str]]:
    links = (await issues.departments_of(ctx.session, [id_of(issue)])).get(id_of(issue), {})
    involved, support = links.get(IssueRole.INVOLVED, []), links.get(IssueRole.SUPPORT, [])
    departments = await common.department_map(
        ctx, [*involved, *support, issue.primary_department_id]
    )
    members = await common.member_map(ctx, [issue.reporter_id, issue.owner_id])

    def who(member_id: int | None) -> str:
        member = members.get(member_id or 0)
        return msg.mention(member.id, member.name) if member else "—"

    def names(ids: list[int]) -> str:
        return ", ".join(departments[i].name for i in ids if i in departments) or "—"

    primary = issue.primary_department_id
    fields = [
        (ctx.t("issue.field.urgency"), urgency_label(ctx, issue.urgency)),
        (ctx.t("issue.field.category"), issue.category or "—"),
        (ctx.t("issue.field.reporter"), who(issue.reporter_id)),
        (ctx.t("issue.field.reported"), timefmt.moment(ctx, issue.created_at)),
        (ctx.t("issue.field.involved"), names(involved)),
        (ctx.t("issue.field.primary"), names([primary] if primary else [])),
        (ctx.t("issue.field.support"), names(support)),
        (ctx.t("issue.field.owner"), who(issue.owner_id)),
        (ctx.t("issue.field.eta"), timefmt.eta(ctx, issue.eta_at)),
        (ctx.t("issue.field.triage_sla"), sla_text(ctx, issue, "triage")),
        (_plan_label(ctx, issue), sla_text(ctx, issue, "plan")),
    ]
    if issue.reopen_count:
        fields.append((ctx.t("issue.field.reopened"), str(issue.reopen_count)))
    return fields


def _plan_label(ctx: Context, issue: Issue) -> str:
    green = issue.plan_due_at is not None and to_aware_utc(issue.plan_due_at) - to_aware_utc(
        issue.created_at
    ) <= timedelta(hours=2)
    key = "issue.field.plan_sla_green" if green else "issue.field.plan_sla"
    return ctx.t(key)


async def timeline_lines(ctx: Context, msg: MessageBuilder, issue: Issue) -> list[str]:
    entries = await issues.timeline(ctx.session, id_of(issue))
    data = [_payload(e) for e in entries]
    mentioned = [e.author_id for e in entries] + [d.get("owner") for d in data]
    members = await common.member_map(ctx, mentioned)
    lines = [ctx.t("issue.timeline_title")]
    for entry, payload in zip(entries, data, strict=True):
        author = members.get(entry.author_id or 0)
        who = "@" + author.name if author else ctx.t("issue.system")
        what = entry_text(ctx, msg, entry, payload, members)
        lines.append(f"  {timefmt.moment(ctx, entry.at)} {who} — {what}")
    return lines


def _payload(entry: IssueEntry) -> dict[str, Any]:
    """Structured entries (triage, edit, breach) keep JSON in ``text``; the rest free text."""
    if entry.kind in ("triage", "edit", "breach") and entry.text:
        loaded = json.loads(entry.text)
        return loaded if isinstance(loaded, dict) else {}
    return {}


def entry_text(
    ctx: Context,
    msg: MessageBuilder,
    entry: IssueEntry,
    payload: dict[str, Any],
    members: dict[int, Member],
) -> str:
    if entry.kind == "triage":
        owner = members.get(payload.get("owner") or 0)
        return ctx.t(
            "issue.entry.triage",
            primary=payload.get("primary") or "—",
            support=", ".join(payload.get("support") or []) or "—",
            owner=msg.mention(owner.id, owner.name) if owner else "—",
            eta=timefmt.eta(ctx, datetime.fromisoformat(payload["eta"]))
            if payload.get("eta")
            else "—",
        )
    if entry.kind == "edit":
        changes = ", ".join(f"{ctx.t('issue.field.' + k)} → {v}" for k, v in payload.items())
        return ctx.t("issue.entry.edit", changes=changes)
    if entry.kind == "breach":
        due = datetime.fromisoformat(payload["due"])
        return ctx.t(f"issue.entry.breach_{payload['sla']}", due=timefmt.moment(ctx, due))
    return ctx.t(f"issue.entry.{entry.kind}", text=entry.text or "")


async def next_step(ctx: Context, msg: MessageBuilder, issue: Issue) -> str | None:
    """Who acts next, as a hint under the card."""
    project = common.require_project(ctx)
    if issue.status == IssueStatus.OPEN:
        ids = await triager_ids(ctx, project)
        key = "issue.next_triage"
    elif issue.status == IssueStatus.TRIAGED:
        ids = {issue.owner_id} if issue.owner_id else set()
        key = "issue.next_resolve" if issue.planned_at else "issue.next_plan"
    elif issue.status == IssueStatus.RESOLVED:
        ids = {issue.reporter_id} if issue.reporter_id else await coordinator_ids(ctx, project)
        key = "issue.next_verify"
    else:
        return None
    members = await common.member_map(ctx, ids)
    who = ", ".join(msg.mention(m.id, m.name) for m in members.values()) or "—"
    return ctx.t(key, who=who, ref=ref(issue))

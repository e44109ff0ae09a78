"""``issue I7 triage primary:Dept [support:A,B] owner:@u eta:D`` / ``分派``: the coordinator or a
PM assigns the primary department, supporting departments, owner and ETA (domain §2).

A first triage needs all three of primary, owner and ETA — each of primary and owner defaults
from the other (the owner's department; the primary department's leader). Triaging again
changes only what is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.framework import Args
from commands.issues.access import check_state, check_triage, get_issue
from commands.issues.views import fold_aliases, ref
from storage.issues import queries as issues
from storage.rows import id_of
from storage.tables import Department, Issue, IssueRole, IssueStatus, Member

USAGE = "issue.triage"


class TriageState(TypedDict):
    """The assignment as the timeline entry stores it (names, owner id, ETA instant)."""

    primary: str | None
    support: list[str]
    owner: int | None
    eta: str | None


@dataclass
class Assignment:
    owner: Member | None = None
    primary: Department | None = None
    eta: datetime | None = None
    support: list[Department] | None = None  # None: unchanged
    changed: dict[str, str] = field(default_factory=dict)


async def triage(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    await check_triage(ctx, issue)
    check_state(ctx, issue, (IssueStatus.OPEN, IssueStatus.TRIAGED), "triage")
    given = await _read(ctx, issue, args)
    first = issue.status == IssueStatus.OPEN
    if first:
        missing = [k for k in ("primary", "owner", "eta") if getattr(given, k) is None]
        if missing:
            raise UsageError(
                "error.issue_triage_missing",
                usage=USAGE,
                missing=", ".join(f"{k}:" for k in missing),
            )
    elif (
        given.owner is None
        and given.primary is None
        and given.eta is None
        and given.support is None
    ):
        raise UsageError("error.nothing_to_change", usage=USAGE)
    await _apply(ctx, issue, given, first)
    await _reply(ctx, issue, first)


async def _read(ctx: Context, issue: Issue, args: Args) -> Assignment:
    fold_aliases(args)
    mention = next((t for t in args.positional if t.kind == "mention"), None)
    who = args.option("owner") or (f"@{mention.text}" if mention else None)
    given = Assignment()
    if who:
        given.owner = await common.resolve_member(ctx, who, usage=USAGE)
    if name := args.option("primary"):
        given.primary = await common.resolve_department(ctx, name, usage=USAGE)
    await _defaults(ctx, issue, given)
    if eta := args.option("eta"):
        given.eta = _parse_eta(ctx, eta)
    if args.has("support"):
        given.support = [
            await common.resolve_department(ctx, n, usage=USAGE)
            for n in args.option_list("support")
        ]
    return given


async def _defaults(ctx: Context, issue: Issue, given: Assignment) -> None:
    owner, primary = given.owner, given.primary
    if primary is None and owner and owner.department_id and not issue.primary_department_id:
        given.primary = await ctx.session.get(Department, owner.department_id)
    if owner is None and primary and primary.leader_id and not issue.owner_id:
        given.owner = await ctx.session.get(Member, primary.leader_id)


def _parse_eta(ctx: Context, text: str) -> datetime:
    try:
        eta, _ = common.parse_deadline(ctx, text)
    except UsageError as error:
        raise UsageError(error.key, usage=USAGE, **error.params) from None
    if eta <= ctx.now_utc():
        raise UsageError("error.issue_eta_past", usage=USAGE, value=text)
    return eta


async def _apply(ctx: Context, issue: Issue, given: Assignment, first: bool) -> None:
    now = ctx.now_utc()
    old_status = issue.status
    if given.owner is not None:
        issue.owner_id = given.owner.id
    if given.primary is not None:
        issue.primary_department_id = given.primary.id
    if given.eta is not None:
        issue.eta_at = given.eta
    if given.support is not None:
        await issues.set_departments(
            ctx.session,
            issue_id=id_of(issue),
            role=IssueRole.SUPPORT,
            department_ids=[d.id for d in given.support if d.id is not None],
        )
    issue.status, issue.updated_at = IssueStatus.TRIAGED, now
    if first:
        issue.triaged_at = now
    ctx.session.add(issue)
    state = await _state(ctx, issue)
    issues.add_entry(
        ctx.session,
        issue_id=id_of(issue),
        author_id=ctx.actor_id,
        kind="triage",
        text=json.dumps(state, ensure_ascii=False),
        at=now,
    )
    ctx.audit(
        "issue.triage", "issue", issue.id, number=issue.number, **{"from": old_status}, **state
    )


async def _state(ctx: Context, issue: Issue) -> TriageState:
    links = (await issues.departments_of(ctx.session, [id_of(issue)])).get(id_of(issue), {})
    support_ids = links.get(IssueRole.SUPPORT, [])
    departments = await common.department_map(ctx, [*support_ids, issue.primary_department_id])
    primary = departments.get(issue.primary_department_id or 0)
    return TriageState(
        primary=primary.name if primary else None,
        support=[departments[i].name for i in support_ids if i in departments],
        owner=issue.owner_id,
        eta=issue.eta_at.isoformat() if issue.eta_at else None,
    )


async def _reply(ctx: Context, issue: Issue, first: bool) -> None:
    state = await _state(ctx, issue)
    msg = ctx.message()
    owner = (await common.member_map(ctx, [issue.owner_id])).get(issue.owner_id or 0)
    msg.section(
        ctx.t(
            "issue.triaged" if first else "issue.retriaged",
            ref=ref(issue),
            title=issue.title,
            primary=state["primary"] or "—",
            support=", ".join(state["support"]) or "—",
            owner=msg.mention(owner.id, owner.name) if owner else "—",
            eta=timefmt.eta(ctx, issue.eta_at),
        )
    )
    if issue.planned_at is None:
        msg.context(
            ctx.t(
                "issue.plan_request",
                owner=msg.mention(owner.id, owner.name) if owner else "—",
                ref=ref(issue),
                due=timefmt.moment(ctx, issue.plan_due_at),
            )
        )
    ctx.reply(msg)

"""How requests read: one request with its chain and history, lists, and the creation reply."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args, closest
from commands.requests.cards import MARKS, CardView, step_labels
from commands.requests.flow import get_request, steps
from commands.requests.subject import (
    amount_text,
    conflict_notes,
    request_fields,
    step_place,
    window_text,
)
from storage.requests import approvals as steps_store
from storage.requests import queries as store
from storage.rows import id_of
from storage.tables import ApprovalStatus, ApprovalStep, Member, RequestStatus, ResourceRequest

VERB_WORDS = ("new", "list", "people", "material", "budget")
LIST_FILTERS = {
    "mine": "mine",
    "我的": "mine",
    "pending": "pending",
    "待审批": "pending",
    "待我审批": "pending",
    "all": "all",
    "全部": "all",
    "open": "open",
    "进行中": "open",
}


def kind_label(ctx: Context, request: ResourceRequest) -> str:
    return ctx.t(f"request.kind.{request.kind}")


async def show(ctx: Context, number: int, args: Args) -> None:
    request = await get_request(ctx, number)
    view = CardView.of(ctx)
    msg = ctx.message()
    msg.header(
        ctx.t(
            "request.view.header",
            ref=f"R{number}",
            kind=kind_label(ctx, request),
            what=request.description,
            status=ctx.t(f"request.status.{request.status}"),
        )
    )
    requester = await ctx.session.get(Member, request.requester_id)
    fields = [(ctx.t("request.field.requester"), _who(msg, requester))]
    fields += await request_fields(ctx, request, view, msg)
    if request.return_evidence:
        fields.append((ctx.t("request.field.evidence"), request.return_evidence))
    msg.fields(fields)
    chain = await steps(ctx, request)
    msg.lines([ctx.t("request.view.chain_title"), *await chain_lines(ctx, chain, view, msg)])
    for step in chain:
        msg.lines(await conflict_notes(ctx, step.conflicts, view, msg))
    msg.lines([ctx.t("request.view.history_title"), *await history(ctx, request, chain)])
    ctx.reply(msg)


def _who(msg: MessageBuilder, member: Member | None) -> str:
    return msg.mention(member.id, member.name) if member else "—"


async def chain_lines(
    ctx: Context, chain: Sequence[ApprovalStep], view: CardView, msg: MessageBuilder
) -> list[str]:
    """``✓ 1. 研发部 @bob — approved by @bob 11-23 10:00`` per step."""
    members = await common.member_map(
        ctx, [s.approver_id for s in chain] + [s.decided_by for s in chain]
    )
    lines = []
    for step in chain:
        place = await step_place(ctx, step, view)
        decider = members.get(step.decided_by or 0)
        state = ctx.t(
            f"request.step_state.{step.status}",
            who=_who(msg, decider),
            when=view.when(step.decided_at),
            due=view.when(step.due_at),
            reason=step.reason or "",
            suggestion=step.suggestion or "",
        )
        approver = _who(msg, members.get(step.approver_id or 0))
        lines.append(f"{MARKS.get(step.status, '?')} {step.position}. {place} {approver} — {state}")
    return lines


async def history(
    ctx: Context, request: ResourceRequest, chain: Sequence[ApprovalStep]
) -> list[str]:
    rows = await store.timeline(
        ctx.session, request_id=id_of(request), step_ids=[s.id for s in chain if s.id]
    )
    actors = await common.member_map(ctx, [r.actor_id for r in rows])
    positions = {s.id: s.position for s in chain}
    lines = []
    for row in rows:
        actor = actors.get(row.actor_id or 0)
        who = "@" + actor.name if actor else ctx.t("task.system")
        detail = json.loads(row.detail) if row.detail else {}
        what = ctx.t(
            "request.event." + row.action.replace(".", "_"),
            position=positions.get(row.entity_id, ""),
            text=detail.get("text") or detail.get("evidence") or detail.get("reason") or "",
        )
        lines.append(f"  {timefmt.moment(ctx, row.at)} {who} {what}")
    return lines


async def default(ctx: Context, args: Args) -> None:
    """``request`` alone lists; ``request <word>`` is a filter or a mistyped verb."""
    word = (args.text() or "open").lower()
    if word not in LIST_FILTERS:
        raise UsageError(
            "error.unknown_verb",
            usage="request",
            family="request",
            verb=word,
            suggestion=closest(word, [*VERB_WORDS, *LIST_FILTERS]) or "new",
        )
    await list_requests(ctx, args)


async def list_requests(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    word = (args.text() or "open").lower()
    which = LIST_FILTERS.get(word)
    if which is None:
        raise UsageError("error.request_bad_filter", usage="request.list", value=word)
    rows = await _listed(ctx, id_of(project), which)
    msg = ctx.message()
    if not rows:
        msg.section(ctx.t(f"request.list.empty_{which}"))
    else:
        title = ctx.t(f"request.list.title_{which}", count=len(rows))
        msg.lines([title, *[await request_line(ctx, msg, r) for r in rows]])
    ctx.reply(msg)


async def _listed(ctx: Context, project_id: int, which: str) -> list[ResourceRequest]:
    if which == "pending":
        steps = await steps_store.pending_for(ctx.session, member_id=ctx.actor_id)
        mine = {s.subject_id for s in steps if s.subject_type == "request"}
        rows = await store.project_requests(ctx.session, project_id=project_id)
        return [r for r in rows if r.id in mine]
    found = await store.project_requests(
        ctx.session,
        project_id=project_id,
        statuses=store.OPEN_STATUSES if which == "open" else None,
        requester_id=ctx.actor_id if which == "mine" else None,
    )
    return list(found)


async def request_line(ctx: Context, msg: MessageBuilder, request: ResourceRequest) -> str:
    """``R2 budget · Ads · 8,000.00 CNY · 12-01 → 12-05 — @alice · step 2/3 @erin (due …)``"""
    view = CardView.of(ctx)
    requester = await ctx.session.get(Member, request.requester_id)
    facts = [kind_label(ctx, request), request.description]
    if request.amount is not None:
        facts.append(amount_text(request))
    facts.append(window_text(view, request))
    return (
        f"R{request.number} "
        + " · ".join(facts)
        + f" — {_who(msg, requester)} · "
        + (await state_text(ctx, msg, request))
    )


async def state_text(ctx: Context, msg: MessageBuilder, request: ResourceRequest) -> str:
    chain = await steps(ctx, request)
    pending = next((s for s in chain if s.status == ApprovalStatus.PENDING), None)
    if request.status != RequestStatus.PENDING or pending is None:
        return ctx.t(f"request.status.{request.status}")
    approver = await ctx.session.get(Member, pending.approver_id or 0)
    return ctx.t(
        "request.list.step",
        position=pending.position,
        total=len(chain),
        who=_who(msg, approver),
        due=timefmt.moment(ctx, pending.due_at),
    )


async def created_reply(ctx: Context, request: ResourceRequest) -> MessageBuilder:
    view = CardView.of(ctx)
    msg = ctx.message()
    msg.section(
        ctx.t(
            "request.created",
            ref=f"R{request.number}",
            kind=kind_label(ctx, request),
            what=request.description,
            window=window_text(view, request),
            amount=amount_text(request),
        )
    )
    chain = await steps(ctx, request)
    msg.context(ctx.t("approval.chain", steps=" → ".join(await step_labels(ctx, chain, view, msg))))
    msg.context(await state_text(ctx, msg, request))
    return msg

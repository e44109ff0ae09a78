"""The item verbs of ``request R2 …``: the approver's text decisions (same as the card's
buttons), the requester's answers (accept, withdraw, received, return) and the owning
department's closing ``confirm``."""

from __future__ import annotations

import json

from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.text.i18n import Translator
from bot.text.render import MessageBuilder
from commands import common
from commands.escalations import ladder as escalation
from commands.framework import Args
from commands.requests import approvals
from commands.requests import chain as approval_chain
from commands.requests.cards import refresh_card
from commands.requests.fields import apply_changes, proposal_from, proposal_text
from commands.requests.subject import REQUEST, advance, notify_progress, set_status
from storage import rows
from storage.requests import approvals as steps_store
from storage.requests import queries as store
from storage.rows import id_of
from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Department,
    Member,
    RequestStatus,
    ResourceRequest,
)


async def get_request(ctx: Context, number: int, *, lock: bool = False) -> ResourceRequest:
    """The project's request by number; ``lock=True`` (every command that changes it) re-reads it and holds
    it until commit, so a change made at the same moment on another replica goes first or
    waits, and the state this command checks is the state it changes."""
    project = common.require_project(ctx)
    request = await store.request_by_number(ctx.session, project_id=id_of(project), number=number)
    if request is None:
        raise NotFound("error.request_unknown", ref=f"R{number}")
    return await rows.lock(ctx.session, request) if lock else request


async def steps(ctx: Context, request: ResourceRequest) -> list[ApprovalStep]:
    found = await steps_store.steps_of(
        ctx.session, subject_type="request", subject_id=id_of(request)
    )
    return list(found)


async def current_step(ctx: Context, request: ResourceRequest) -> ApprovalStep:
    pending = [s for s in await steps(ctx, request) if s.status == ApprovalStatus.PENDING]
    if not pending:
        raise Conflict(
            "error.request_no_pending",
            ref=f"R{request.number}",
            status=ctx.t(f"request.status.{request.status}"),
        )
    return pending[0]


def _status_conflict(ctx: Context, request: ResourceRequest, action: str) -> Conflict:
    return Conflict(
        f"error.request_cannot_{action}",
        ref=f"R{request.number}",
        status=ctx.t(f"request.status.{request.status}"),
    )


async def _reply_step(ctx: Context, request: ResourceRequest, step: ApprovalStep) -> None:
    total = len(await steps(ctx, request))
    ctx.reply(
        ctx.message().section(
            ctx.t(
                f"request.reply.{step.status}",
                ref=f"R{request.number}",
                position=step.position,
                total=total,
                status=ctx.t(f"request.status.{request.status}"),
            )
        )
    )


async def approve(ctx: Context, number: int, args: Args) -> None:
    request = await get_request(ctx, number, lock=True)
    step = await current_step(ctx, request)
    await approvals.decide(ctx, REQUEST, step, "approve")
    await _reply_step(ctx, request, step)


async def reject(ctx: Context, number: int, args: Args) -> None:
    request = await get_request(ctx, number, lock=True)
    step = await current_step(ctx, request)
    reason = args.text() or args.option("reason")
    if not reason:
        await approvals.check_decider(ctx, step, f"R{number}")
        raise UsageError("error.request_reject_reason", usage="request.reject", ref=f"R{number}")
    await approvals.decide(ctx, REQUEST, step, "reject", text=reason)
    await _reply_step(ctx, request, step)


async def suggest(ctx: Context, number: int, args: Args) -> None:
    request = await get_request(ctx, number, lock=True)
    step = await current_step(ctx, request)
    proposal = proposal_from(ctx, args)
    text = args.text() or (proposal_text(ctx, proposal) if proposal else "")
    if not text:
        await approvals.check_decider(ctx, step, f"R{number}")
        raise UsageError("error.request_suggest_text", usage="request.suggest", ref=f"R{number}")
    encoded = json.dumps(proposal, ensure_ascii=False) if proposal else None
    await approvals.decide(ctx, REQUEST, step, "suggest", text=text, proposal=encoded)
    await _reply_step(ctx, request, step)


def check_requester(ctx: Context, request: ResourceRequest, requester: Member | None) -> None:
    if ctx.actor_id != request.requester_id:
        raise PermissionDenied(
            "error.request_requester_only",
            ref=f"R{request.number}",
            who="@" + requester.name if requester else "—",
        )


async def _as_requester(
    ctx: Context, number: int, *allowed: RequestStatus, action: str
) -> ResourceRequest:
    request = await get_request(ctx, number, lock=True)
    check_requester(ctx, request, await ctx.session.get(Member, request.requester_id))
    if request.status not in allowed:
        raise _status_conflict(ctx, request, action)
    return request


async def accept(ctx: Context, number: int, args: Args) -> None:
    """The requester takes the suggested change: the request is updated, the chain goes on."""
    request = await _as_requester(ctx, number, RequestStatus.SUGGESTED, action="accept")
    step = next(s for s in await steps(ctx, request) if s.status == ApprovalStatus.SUGGESTED)
    proposal = json.loads(step.proposal) if step.proposal else {}
    proposal.update(proposal_from(ctx, args))
    changes = apply_changes(request, proposal, usage="request.accept")
    step.status = ApprovalStatus.ADJUSTED
    ctx.session.add(step)
    ctx.audit("approval.adjusted", "approval_step", step.id, position=step.position)
    await refresh_card(ctx, REQUEST, step)
    set_status(ctx, request, RequestStatus.PENDING, changes=changes, suggestion=step.suggestion)
    project = await approvals.step_project(ctx, step)
    await approval_chain.add_threshold_step(ctx, request, project)
    following = await advance(ctx, request, project)
    ctx.reply(
        ctx.message().section(
            ctx.t("request.reply.accepted", ref=f"R{number}", suggestion=step.suggestion or "")
        )
    )
    await notify_progress(ctx, request, following, decided=None)
    if following is None:
        ctx.reply(ctx.message().section(ctx.t("request.reply.chain_done", ref=f"R{number}")))


async def withdraw(ctx: Context, number: int, args: Args) -> None:
    request = await _as_requester(
        ctx,
        number,
        RequestStatus.PENDING,
        RequestStatus.SUGGESTED,
        RequestStatus.APPROVED,
        action="withdraw",
    )
    await approvals.cancel_live(ctx, REQUEST, await steps(ctx, request), RequestStatus.WITHDRAWN)
    set_status(ctx, request, RequestStatus.WITHDRAWN)
    await escalation.resolve_subject(
        ctx.session,
        subject_type="request",
        subject_id=id_of(request),
        now=ctx.now_utc(),
        by=ctx.actor_id,
    )
    ctx.reply(ctx.message().section(ctx.t("request.reply.withdrawn", ref=f"R{number}")))


async def received(ctx: Context, number: int, args: Args) -> None:
    request = await _as_requester(ctx, number, RequestStatus.APPROVED, action="receive")
    request.received_at = ctx.now_utc()
    set_status(ctx, request, RequestStatus.RECEIVED)
    ctx.reply(
        ctx.message().section(ctx.t("request.reply.received", ref=f"R{number}", kind=request.kind))
    )


async def give_back(ctx: Context, number: int, args: Args) -> None:
    """Return the resource, or hand in write-off evidence (budget); the owner confirms."""
    request = await _as_requester(ctx, number, RequestStatus.RECEIVED, action="return")
    evidence = args.text()
    if not evidence:
        raise UsageError("error.request_evidence", usage="request.return", ref=f"R{number}")
    request.return_evidence, request.returned_at = evidence, ctx.now_utc()
    set_status(ctx, request, RequestStatus.RETURNED, evidence=evidence)
    ctx.reply(ctx.message().section(ctx.t("request.reply.returned", ref=f"R{number}")))

    def render(t: Translator, msg: MessageBuilder) -> str:
        return t(
            "request.notice.returned",
            ref=f"R{number}",
            what=request.description,
            who=msg.mention(ctx.actor_id, ctx.actor.name),
            evidence=evidence,
            kind=request.kind,
        )

    for member_id in await approval_chain.owning_deciders(ctx, request.owner_department_id):
        await approvals.tell(ctx, member_id, render)


async def confirm(ctx: Context, number: int, args: Args) -> None:
    """The owning department confirms the return or write-off: the request is closed."""
    request = await get_request(ctx, number, lock=True)
    allowed = await approval_chain.owning_deciders(ctx, request.owner_department_id)
    if ctx.actor_id not in allowed:
        department = await ctx.session.get(Department, request.owner_department_id or 0)
        names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
        raise PermissionDenied(
            "error.request_owner_only",
            ref=f"R{number}",
            dept=department.name if department else "—",
            who=", ".join(names) or "—",
        )
    if request.status != RequestStatus.RETURNED:
        raise _status_conflict(ctx, request, "confirm")
    set_status(ctx, request, RequestStatus.CLOSED)
    await escalation.resolve_subject(
        ctx.session,
        subject_type="request",
        subject_id=id_of(request),
        now=ctx.now_utc(),
        by=ctx.actor_id,
    )
    ctx.reply(ctx.message().section(ctx.t("request.reply.closed", ref=f"R{number}")))

    def render(t: Translator, msg: MessageBuilder) -> str:
        return t(
            "request.notice.closed",
            ref=f"R{number}",
            what=request.description,
            who=msg.mention(ctx.actor_id, ctx.actor.name),
        )

    await approvals.tell(ctx, request.requester_id, render)

"""The approval machinery shared by resource requests and charter sign-off.

A step is ``waiting`` until its turn, ``pending`` while its card is out, then ``approved``,
``rejected`` or ``suggested`` (a suggestion the requester later accepts → ``adjusted``, or
withdraws → ``cancelled``). ``auto`` marks a step approved without a card because the same
person already approved the step before it (see ``commands.requests.chain``). Only the step's
approver or the approver's delegate may decide; anyone else is refused privately and nothing
changes (``PermissionDenied`` makes the dispatcher roll back).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text.i18n import Translator
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import ActionHandler
from commands.requests import deadlines as approval_time
from commands.requests.cards import Subject, refresh_card, send_card
from storage.projects import queries as projects
from storage.requests import approvals
from storage.tables import ApprovalStatus, ApprovalStep, Member, Project

DECIDED = {
    "approve": ApprovalStatus.APPROVED,
    "reject": ApprovalStatus.REJECTED,
    "suggest": ApprovalStatus.SUGGESTED,
}


async def step_project(ctx: Context, step: ApprovalStep) -> Project:
    """The step's project; also becomes ``ctx.project`` (a click may come from a DM)."""
    project = await projects.get_project(ctx.session, step.project_id)
    if project is None:
        raise NotFound("error.unknown_project", ref=f"P{step.project_id}")
    if ctx.project is None or ctx.project.id != project.id:
        ctx.project = project
    return project


async def deciders(ctx: Context, step: ApprovalStep) -> tuple[Member | None, Member | None]:
    """(approver, approver's delegate)."""
    approver = await ctx.session.get(Member, step.approver_id or 0)
    delegate = await ctx.session.get(Member, approver.delegate_id or 0) if approver else None
    return approver, delegate


async def may_decide(ctx: Context, step: ApprovalStep) -> bool:
    approver, delegate = await deciders(ctx, step)
    return ctx.actor_id in {m.id for m in (approver, delegate) if m is not None}


async def check_decider(ctx: Context, step: ApprovalStep, ref: str) -> None:
    if await may_decide(ctx, step):
        return
    approver, delegate = await deciders(ctx, step)
    raise PermissionDenied(
        "error.approval_not_yours",
        ref=ref,
        approver="@" + approver.name if approver else "—",
        delegate="@" + delegate.name if delegate else "",
    )


async def open_step(
    ctx: Context, subject: Subject, step: ApprovalStep, project: Project, *, send: bool = True
) -> None:
    """Give the step its deadline (working days in the approver's zone) and send its card
    (``send=False``: the caller opens several steps first, then sends their cards)."""
    approver = await ctx.session.get(Member, step.approver_id or 0)
    assert approver is not None
    now = ctx.now_utc()
    zone = await approval_time.approver_zone(ctx.session, ctx.settings, approver)
    step.status, step.started_at = ApprovalStatus.PENDING, now
    step.due_at = approval_time.step_deadline(ctx.calendar, ctx.settings, now, zone)
    await subject.on_open(ctx, step)
    ctx.session.add(step)
    await ctx.session.flush()
    ctx.audit(
        "approval.open",
        "approval_step",
        step.id,
        subject=f"{step.subject_type}:{step.subject_id}",
        position=step.position,
        approver=approver.name,
        due_at=step.due_at.isoformat(),
    )
    if send:
        await send_card(ctx, subject, step, project)


async def decide(
    ctx: Context,
    subject: Subject,
    step: ApprovalStep,
    decision: str,
    *,
    text: str | None = None,
    proposal: str | None = None,
) -> None:
    """Record the approver's decision, edit the card, and let the subject move on.

    The step is re-read under lock first, so of two clicks at once one decides and the
    other is told it is already decided."""
    await approvals.lock_for_decision(ctx.session, step)
    await step_project(ctx, step)
    ref = await subject.ref(ctx, step)
    await check_decider(ctx, step, ref)
    if step.status != ApprovalStatus.PENDING:
        raise Conflict(
            "error.approval_closed", ref=ref, status=ctx.t(f"approval.status.{step.status}")
        )
    if decision not in subject.decisions:
        raise UsageError("error.approval_bad_decision", ref=ref, decision=decision)
    step.status, step.decided_by, step.decided_at = DECIDED[decision], ctx.actor_id, ctx.now_utc()
    if decision == "reject":
        step.reason = text
    elif decision == "suggest":
        step.suggestion, step.proposal = text, proposal
    ctx.session.add(step)
    ctx.audit(
        f"approval.{decision}",
        "approval_step",
        step.id,
        subject=f"{step.subject_type}:{step.subject_id}",
        position=step.position,
        on_behalf_of=step.approver_id if step.approver_id != ctx.actor_id else None,
        text=text,
    )
    await refresh_card(ctx, subject, step)
    await subject.decided(ctx, step)


async def cancel_live(
    ctx: Context, subject: Subject, steps: Sequence[ApprovalStep], reason: str
) -> None:
    """Close every step still open (``withdrawn`` / ``rejected``); edit the cards out there."""
    for step in steps:
        if step.status not in approvals.LIVE:
            continue
        had_card = step.status in (ApprovalStatus.PENDING, ApprovalStatus.SUGGESTED)
        step.status, step.reason = ApprovalStatus.CANCELLED, reason
        step.decided_by, step.decided_at = ctx.actor_id, ctx.now_utc()
        ctx.session.add(step)
        ctx.audit(
            "approval.cancel", "approval_step", step.id, position=step.position, reason=reason
        )
        if had_card:
            await refresh_card(ctx, subject, step)


async def load_step(ctx: Context, value: str) -> ApprovalStep:
    step = await approvals.get_step(ctx.session, int(value)) if value.isdigit() else None
    if step is None:
        raise NotFound("error.approval_unknown_step")
    return step


def actions(subjects: Mapping[str, Subject]) -> dict[str, ActionHandler]:
    """Button handlers ``approval.approve|reject|suggest``; the value is the step id."""

    def handler(decision: str) -> ActionHandler:
        async def run(ctx: Context, value: str, inputs: dict[str, str]) -> None:
            step = await load_step(ctx, value)
            subject = subjects[step.subject_type]
            if decision not in subject.decisions:
                ref = await subject.ref(ctx, step)
                raise UsageError("error.approval_bad_decision", ref=ref, decision=decision)
            text = _input_text(decision, inputs)
            if decision != "approve" and not text:
                await ask_for_text(ctx, subject, step, decision)
                return
            await decide(ctx, subject, step, decision, text=text)

        return run

    return {f"approval.{d}": handler(d) for d in DECIDED}


def _input_text(decision: str, inputs: Mapping[str, str]) -> str | None:
    keys = ("reason", "text") if decision == "reject" else ("suggestion", "text")
    return next((inputs[k].strip() for k in keys if inputs.get(k, "").strip()), None)


async def ask_for_text(ctx: Context, subject: Subject, step: ApprovalStep, decision: str) -> None:
    """Reject and Suggest need words; platforms without forms get the text command to type."""
    await step_project(ctx, step)
    ref = await subject.ref(ctx, step)
    await check_decider(ctx, step, ref)
    if step.status != ApprovalStatus.PENDING:
        raise Conflict(
            "error.approval_closed", ref=ref, status=ctx.t(f"approval.status.{step.status}")
        )
    command = ctx.t(f"approval.command.{step.subject_type}_{decision}", ref=ref)
    ctx.reply_private(ctx.message().section(ctx.t(f"approval.need_{decision}", command=command)))


async def my_pending(ctx: Context) -> Sequence[ApprovalStep]:
    return await approvals.pending_for(ctx.session, member_id=ctx.actor_id)


def overdue(ctx: Context, step: ApprovalStep) -> bool:
    return step.due_at is not None and common.overdue_days(ctx, step.due_at) > 0


Notice = Callable[[Translator, MessageBuilder], str]


async def tell(ctx: Context, member_id: int | None, render: Notice) -> None:
    """A direct message to ``member_id`` in their own language (not to the actor: they
    already see the reply)."""
    if member_id is None or member_id == ctx.actor_id:
        return
    member = await ctx.session.get(Member, member_id)
    target = await common.dm_target(ctx, member) if member is not None else None
    if member is None or target is None:
        return
    msg = ctx.message()
    msg.section(
        render(Translator(targets.member_locale(ctx.settings, member, target.platform)), msg)
    )
    ctx.send(target, msg)

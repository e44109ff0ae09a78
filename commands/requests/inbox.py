"""The "waiting for you" part of ``my``: approvals the actor may decide (as approver or
delegate), and requests that need the actor's next move (answer a suggestion, confirm
receipt, return, or — for an owning department — confirm a return)."""

from __future__ import annotations

from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.requests import approvals
from commands.requests.cards import CardView
from commands.requests.subject import step_place, window_text
from storage.projects import queries as projects
from storage.requests import approvals as steps_store
from storage.requests import queries as store
from storage.tables import ApprovalStep, Member, RequestStatus, ResourceRequest


async def my_approvals(ctx: Context, msg: MessageBuilder) -> None:
    lines = [await _step_line(ctx, msg, step) for step in await approvals.my_pending(ctx)]
    for request in await store.needing_requester(ctx.session, requester_id=ctx.actor_id):
        line = await _requester_line(ctx, request)
        if line:
            lines.append(line)
    for request in await store.awaiting_confirmation(
        ctx.session, department_ids=await _managed_departments(ctx)
    ):
        lines.append(await _confirm_line(ctx, msg, request))
    if lines:
        msg.lines([ctx.t("approval.my.title", count=len(lines)), *lines])


async def _prefix(ctx: Context, project_id: int) -> str:
    project = await projects.get_project(ctx.session, project_id)
    return f"P{project_id} {project.name}" if project else f"P{project_id}"


async def _step_line(ctx: Context, msg: MessageBuilder, step: ApprovalStep) -> str:
    view = CardView.of(ctx)
    where = await _prefix(ctx, step.project_id)
    approver = await ctx.session.get(Member, step.approver_id or 0)
    behalf = ""
    if approver is not None and approver.id != ctx.actor_id:
        behalf = msg.mention(approver.id, approver.name)
    due = ctx.t(
        "approval.my.due",
        due=timefmt.moment(ctx, step.due_at),
        late=approvals.overdue(ctx, step),
        who=behalf,
    )
    if step.subject_type == "charter":
        place = await step_place(ctx, step, view)
        return ctx.t("approval.my.charter", project=where, dept=place, due=due)
    request = await store.get_request(ctx.session, step.subject_id)
    assert request is not None
    return ctx.t(
        "approval.my.request",
        project=where,
        ref=f"R{request.number}",
        kind=ctx.t(f"request.kind.{request.kind}"),
        what=request.description,
        position=step.position,
        due=due,
    )


async def _requester_line(ctx: Context, request: ResourceRequest) -> str | None:
    ended = request.window_end is not None and common.overdue_days(ctx, request.window_end) > 0
    if request.status == RequestStatus.RECEIVED and not ended:
        return None  # in use, nothing to do yet
    key = "overdue_return" if request.status == RequestStatus.RECEIVED else request.status
    return ctx.t(
        f"approval.my.{key}",
        project=await _prefix(ctx, request.project_id),
        ref=f"R{request.number}",
        what=request.description,
        suggestion=request.suggestion or "",
        window=window_text(CardView.of(ctx), request),
    )


async def _confirm_line(ctx: Context, msg: MessageBuilder, request: ResourceRequest) -> str:
    requester = await ctx.session.get(Member, request.requester_id)
    return ctx.t(
        "approval.my.confirm",
        project=await _prefix(ctx, request.project_id),
        ref=f"R{request.number}",
        what=request.description,
        who=msg.mention(requester.id, requester.name) if requester else "—",
        evidence=request.return_evidence or "",
    )


async def _managed_departments(ctx: Context) -> list[int]:
    """Departments whose returns the actor confirms: as leader, manager, or their delegate."""
    represented = [ctx.actor, *await steps_store.delegators(ctx.session, ctx.actor_id)]
    ids = [m.id for m in represented if m.id is not None]
    people = {m.name.lower() for m in represented}
    managers = ctx.settings.requests.resource_managers
    names = [dept for dept, who in managers.items() if who.strip().lstrip("@").lower() in people]
    rows = await store.departments_managed_by(ctx.session, member_ids=ids, names=names)
    return [d.id for d in rows if d.id is not None]

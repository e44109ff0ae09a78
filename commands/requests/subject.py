"""Resource requests as an approval subject: their cards, the chain's progress, and what a
decision does to the request (approved → next step or done; rejected; change suggested)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import NotFound
from bot.inbound.context import Context
from bot.text.i18n import Translator
from bot.text.render import MessageBuilder
from commands.escalations import ladder as escalation
from commands.requests import approvals
from commands.requests import chain as approval_chain
from commands.requests.cards import CardBody, CardView
from storage.projects import queries as projects
from storage.requests import approvals as steps_store
from storage.requests import queries as store
from storage.rows import id_of
from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Department,
    Member,
    Project,
    RequestStatus,
    ResourceRequest,
)


def window_text(view: CardView, request: ResourceRequest) -> str:
    """``12-01 → 12-05`` for whole days, ``12-01 09:00 → 12-01 18:00`` otherwise."""
    if request.window_start is None or request.window_end is None:
        return "—"
    start, end = view.local(request.window_start), view.local(request.window_end)
    if start.time().hour == start.time().minute == 0 and (end.hour, end.minute) == (23, 59):
        return f"{view.day(start)} → {view.day(end)}"
    return f"{view.when(start)} → {view.when(end)}"


def amount_text(request: ResourceRequest) -> str:
    return (
        f"{request.amount:,.2f} {request.currency or 'CNY'}" if request.amount is not None else ""
    )


async def request_fields(
    ctx: Context, request: ResourceRequest, view: CardView, msg: MessageBuilder
) -> list[tuple[str, str]]:
    """The facts of a request, as card/view fields."""
    t = view.t
    fields = [(t("request.field.window"), window_text(view, request))]
    fields.append((t("request.field.purpose"), request.purpose or "—"))
    if request.amount is not None:
        fields.append((t("request.field.amount"), amount_text(request)))
    if request.quantity:
        fields.append((t("request.field.qty"), request.quantity))
    person = await ctx.session.get(Member, request.resource_member_id or 0)
    if person is not None:
        fields.append((t("request.field.person"), msg.mention(person.id, person.name)))
    fields.append((t("request.field.return"), request.return_method or "—"))
    owner = await ctx.session.get(Department, request.owner_department_id or 0)
    fields.append((t("request.field.owner_dept"), owner.name if owner else "—"))
    return fields


async def conflict_notes(
    ctx: Context, ids: str | None, view: CardView, msg: MessageBuilder
) -> list[str]:
    """``⚠ Conflicts …`` lines for the requests listed in a step's ``conflicts``."""
    found = [await store.get_request(ctx.session, int(i)) for i in (ids or "").split(",") if i]
    rows = [r for r in found if r is not None]
    if not rows:
        return []
    lines = [view.t("request.card.conflicts", count=len(rows))]
    for other in rows:
        requester = await ctx.session.get(Member, other.requester_id)
        project = await projects.get_project(ctx.session, other.project_id)
        lines.append(
            view.t(
                "request.card.conflict_line",
                ref=f"R{other.number}",
                project=f"P{other.project_id} {project.name if project else ''}".strip(),
                what=other.description,
                window=window_text(view, other),
                who=msg.mention(requester.id, requester.name) if requester else "—",
                status=view.t(f"request.status.{other.status}"),
            )
        )
    return lines


class RequestSubject:
    kind = "request"
    decisions: tuple[str, ...] = ("approve", "reject", "suggest")

    async def body(
        self, ctx: Context, step: ApprovalStep, view: CardView, msg: MessageBuilder
    ) -> CardBody:
        request = await load(ctx, step.subject_id)
        project = await projects.get_project(ctx.session, request.project_id)
        requester = await ctx.session.get(Member, request.requester_id)
        who = msg.mention(requester.id, requester.name) if requester else "—"
        kind = view.t(f"request.kind.{request.kind}")
        steps = await steps_store.steps_of(
            ctx.session, subject_type="request", subject_id=id_of(request)
        )
        place = await step_place(ctx, step, view)
        return CardBody(
            header=view.t(
                "request.card.header", ref=f"R{request.number}", kind=kind, what=request.description
            ),
            intro=view.t(
                "request.card.intro",
                requester=who,
                kind=kind,
                project=f"P{request.project_id} {project.name if project else ''}",
                position=step.position,
                total=len(steps),
                place=place,
            ),
            fields=await request_fields(ctx, request, view, msg),
            notes=await conflict_notes(ctx, step.conflicts, view, msg),
            hint=view.t("request.card.hint", ref=f"R{request.number}"),
            requester=who,
        )

    async def on_open(self, ctx: Context, step: ApprovalStep) -> None:
        if step.rule == "owner_department":
            found = await approval_chain.conflicts(ctx, await load(ctx, step.subject_id))
            step.conflicts = ",".join(str(r.id) for r in found) or None

    async def ref(self, ctx: Context, step: ApprovalStep) -> str:
        return f"R{(await load(ctx, step.subject_id)).number}"

    async def decided(self, ctx: Context, step: ApprovalStep) -> None:
        request = await load(ctx, step.subject_id)
        project = await approvals.step_project(ctx, step)
        await escalation.resolve_subject(
            ctx.session,
            subject_type="request",
            subject_id=id_of(request),
            now=ctx.now_utc(),
            by=ctx.actor_id,
        )
        if step.status == ApprovalStatus.APPROVED:
            await _approved(ctx, request, step, project)
        elif step.status == ApprovalStatus.REJECTED:
            await _rejected(ctx, request, step)
        else:
            await _suggested(ctx, request, step)


REQUEST = RequestSubject()


async def load(ctx: Context, request_id: int) -> ResourceRequest:
    request = await store.get_request(ctx.session, request_id)
    if request is None:
        raise NotFound("error.request_unknown", ref=f"#{request_id}")
    return request


async def step_place(ctx: Context, step: ApprovalStep, view: CardView) -> str:
    """The step's department name, or its rule (``project owner``) when it has none."""
    department = await ctx.session.get(Department, step.department_id or 0)
    return department.name if department else view.t(f"approval.rule.{step.rule}")


def set_status(
    ctx: Context, request: ResourceRequest, status: RequestStatus, **detail: object
) -> None:
    old, request.status, request.updated_at = request.status, status, ctx.now_utc()
    if status in (RequestStatus.REJECTED, RequestStatus.WITHDRAWN, RequestStatus.CLOSED):
        request.closed_at = ctx.now_utc()
    ctx.session.add(request)
    ctx.audit(
        f"request.{status}", "request", request.id, number=request.number, **{"from": old}, **detail
    )


async def advance(ctx: Context, request: ResourceRequest, project: Project) -> ApprovalStep | None:
    """Open the next step (approving repeats automatically); None when the chain is done."""
    steps = await steps_store.steps_of(
        ctx.session, subject_type="request", subject_id=id_of(request)
    )
    previous: ApprovalStep | None = None
    for step in steps:
        if step.status in steps_store.PASSED:
            previous = step
            continue
        if step.status != ApprovalStatus.WAITING:
            return step
        if not approval_chain.is_automatic(request, step, previous):
            await approvals.open_step(ctx, REQUEST, step, project)
            return step
        _auto_approve(ctx, step)
        previous = step
    set_status(ctx, request, RequestStatus.APPROVED)
    return None


def _auto_approve(ctx: Context, step: ApprovalStep) -> None:
    step.status, step.decided_by, step.decided_at = (
        ApprovalStatus.AUTO,
        step.approver_id,
        ctx.now_utc(),
    )
    ctx.session.add(step)
    ctx.audit("approval.auto", "approval_step", step.id, position=step.position)


async def _approved(
    ctx: Context, request: ResourceRequest, step: ApprovalStep, project: Project
) -> None:
    following = await advance(ctx, request, project)
    await notify_progress(ctx, request, following, decided=step)


async def notify_progress(
    ctx: Context,
    request: ResourceRequest,
    following: ApprovalStep | None,
    *,
    decided: ApprovalStep | None,
) -> None:
    """Tell the requester a step passed, and who is next (or that the chain is done)."""
    total = len(await _steps(ctx, request))
    next_who = await ctx.session.get(Member, following.approver_id or 0) if following else None

    def render(t: Translator, msg: MessageBuilder) -> str:
        params = {"ref": f"R{request.number}", "what": request.description, "total": total}
        if decided is not None:
            params.update(position=decided.position, who=msg.mention(ctx.actor_id, ctx.actor.name))
        if next_who is not None and following is not None:
            return t(
                "request.notice.next",
                **params,
                next=msg.mention(next_who.id, next_who.name),
                next_position=following.position,
                passed=decided is not None,
            )
        return t("request.notice.approved", **params)

    await approvals.tell(ctx, request.requester_id, render)


async def _steps(ctx: Context, request: ResourceRequest) -> Sequence[ApprovalStep]:
    return await steps_store.steps_of(
        ctx.session, subject_type="request", subject_id=id_of(request)
    )


async def _rejected(ctx: Context, request: ResourceRequest, step: ApprovalStep) -> None:
    await approvals.cancel_live(ctx, REQUEST, await _steps(ctx, request), RequestStatus.REJECTED)
    set_status(ctx, request, RequestStatus.REJECTED, reason=step.reason)

    def render(t: Translator, msg: MessageBuilder) -> str:
        return t(
            "request.notice.rejected",
            ref=f"R{request.number}",
            what=request.description,
            who=msg.mention(ctx.actor_id, ctx.actor.name),
            reason=step.reason or "",
        )

    await approvals.tell(ctx, request.requester_id, render)


async def _suggested(ctx: Context, request: ResourceRequest, step: ApprovalStep) -> None:
    request.suggestion = step.suggestion
    set_status(
        ctx, request, RequestStatus.SUGGESTED, suggestion=step.suggestion, proposal=step.proposal
    )

    def render(t: Translator, msg: MessageBuilder) -> str:
        return t(
            "request.notice.suggested",
            ref=f"R{request.number}",
            what=request.description,
            who=msg.mention(ctx.actor_id, ctx.actor.name),
            suggestion=step.suggestion or "",
        )

    await approvals.tell(ctx, request.requester_id, render)

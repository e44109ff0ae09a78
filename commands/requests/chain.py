"""The rules that build a request's approval chain, and the conflict check of step 2.

1. ``requester_leader`` — the requester's department leader (is it needed?).
2. ``owner_department`` — the owning department's configured resource manager
   (``settings.requests.resource_managers``), else its leader (is it available? conflicts?).
3. ``threshold`` — a budget over ``settings.requests.budget_threshold`` also needs the
   project owner; the sponsor instead when the owner is the requester.

A step whose approver already approved the step right before it (or, at step 1, who is the
requester: a leader vouches for their own need) is approved automatically (``auto``) when
its turn comes: asking the same person twice adds a wait but no judgement. The chain view
shows such steps as approved automatically. An accepted suggestion that lifts a budget over
the threshold adds rule 3 then.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.errors import UsageError
from bot.inbound.context import Context
from storage.people import queries as people
from storage.requests import approvals
from storage.requests import queries as store
from storage.rows import id_of
from storage.tables import ApprovalStep, Department, Member, Project, RequestKind, ResourceRequest


async def resource_manager(ctx: Context, department: Department) -> Member | None:
    """The configured manager of the department's resources, else its leader."""
    managers = {k.strip().lower(): v for k, v in ctx.settings.requests.resource_managers.items()}
    name = managers.get(department.name.strip().lower())
    if name:
        found = await people.members_by_name(ctx.session, name.strip().lstrip("@"))
        if len(found) == 1:
            return found[0]
    return await ctx.session.get(Member, department.leader_id or 0)


async def owning_deciders(ctx: Context, department_id: int | None) -> set[int]:
    """Who may act for the owning department: leader, resource manager, their delegates."""
    department = await ctx.session.get(Department, department_id or 0)
    if department is None:
        return set()
    candidates = [department.leader_id]
    manager = await resource_manager(ctx, department)
    candidates.append(manager.id if manager else None)
    ids = {i for i in candidates if i is not None}
    for member in (await people.members_by_ids(ctx.session, set(ids))).values():
        if member.delegate_id is not None:
            ids.add(member.delegate_id)
    return ids


async def build_chain(
    ctx: Context, request: ResourceRequest, project: Project
) -> list[ApprovalStep]:
    """The steps for a new request, in order (all ``waiting``); raises when a rule has nobody."""
    leader_dept = await _requester_department(ctx)
    leader = await ctx.session.get(Member, leader_dept.leader_id or 0)
    if leader is None:
        raise UsageError("error.request_no_leader", dept=leader_dept.name)
    owner_dept = await ctx.session.get(Department, request.owner_department_id or 0)
    assert owner_dept is not None
    manager = await resource_manager(ctx, owner_dept)
    if manager is None:
        raise UsageError("error.request_no_manager", dept=owner_dept.name)
    steps = [
        _step(request, "requester_leader", leader, leader_dept.id),
        _step(request, "owner_department", manager, owner_dept.id),
    ]
    if over_threshold(ctx, request):
        steps.append(_step(request, "threshold", await _threshold_approver(ctx, project), None))
    for position, step in enumerate(steps, 1):
        step.position = position
    return steps


async def add_threshold_step(
    ctx: Context, request: ResourceRequest, project: Project
) -> ApprovalStep | None:
    """An accepted change that lifts a budget over the threshold adds the owner's step.

    A change that lowers it keeps the chain as announced (nobody is dropped silently).
    """
    steps = await approvals.steps_of(ctx.session, subject_type="request", subject_id=id_of(request))
    if not over_threshold(ctx, request) or any(s.rule == "threshold" for s in steps):
        return None
    step = _step(request, "threshold", await _threshold_approver(ctx, project), None)
    step.position, step.created_at = len(steps) + 1, ctx.now_utc()
    await approvals.add_steps(ctx.session, [step])
    ctx.audit("approval.add", "approval_step", step.id, position=step.position, rule=step.rule)
    return step


def over_threshold(ctx: Context, request: ResourceRequest) -> bool:
    threshold = Decimal(str(ctx.settings.requests.budget_threshold))
    return request.kind == RequestKind.BUDGET and (request.amount or Decimal(0)) > threshold


async def _requester_department(ctx: Context) -> Department:
    department = await ctx.session.get(Department, ctx.actor.department_id or 0)
    if department is None:
        raise UsageError("error.request_no_department", usage="request.new")
    return department


async def _threshold_approver(ctx: Context, project: Project) -> Member:
    owner_id = project.owner_id
    if owner_id in (None, ctx.actor_id) and project.sponsor_id is not None:
        owner_id = project.sponsor_id
    member = await ctx.session.get(Member, owner_id or 0)
    if member is None:
        raise UsageError("error.request_no_owner", ref=f"P{project.id}")
    return member


def _step(
    request: ResourceRequest, rule: str, approver: Member, department_id: int | None
) -> ApprovalStep:
    return ApprovalStep(
        project_id=request.project_id,
        subject_type="request",
        subject_id=id_of(request),
        position=0,
        rule=rule,
        approver_id=approver.id,
        department_id=department_id,
        created_at=request.created_at,
    )


def is_automatic(
    request: ResourceRequest, step: ApprovalStep, previous: ApprovalStep | None
) -> bool:
    if previous is None:
        return step.approver_id == request.requester_id
    return step.approver_id == previous.approver_id


async def conflicts(ctx: Context, request: ResourceRequest) -> Sequence[ResourceRequest]:
    """Approved requests holding the same person or item in an overlapping window."""
    if (
        request.kind == RequestKind.BUDGET
        or request.window_start is None
        or request.window_end is None
    ):
        return []
    rows = await store.held_overlapping(
        ctx.session,
        kind=request.kind,
        owner_department_id=request.owner_department_id,
        start=request.window_start,
        end=request.window_end,
        exclude_id=request.id,
    )
    return [r for r in rows if same_resource(r, request)]


def same_resource(a: ResourceRequest, b: ResourceRequest) -> bool:
    if a.resource_member_id is not None or b.resource_member_id is not None:
        return a.resource_member_id == b.resource_member_id
    return _normal(a.description) == _normal(b.description)


def _normal(text: str) -> str:
    return "".join(text.split()).casefold()

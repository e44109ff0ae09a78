"""Who may do what to an issue (domain "Permissions" and §2), and finding an issue by number.

- anyone in the project group reports;
- the coordinator or a PM triages (and edits);
- the primary department (its members, leader, contact) and the owner post progress;
- supporting departments (and the primary / involved ones, the owner and the reporter) post
  help notes;
- the owner resolves, with the coordinator and PMs as fallback;
- the reporter or the coordinator verifies-and-closes or reopens.

A refused action names who may do it, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import Conflict, NotFound, PermissionDenied
from bot.inbound.context import Context
from commands import common
from storage import rows
from storage.issues import queries as issues
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Department, Issue, IssueRole, Project


async def get_issue(ctx: Context, number: int, *, lock: bool = False) -> Issue:
    """The project's issue by number; ``lock=True`` (every command that changes it) re-reads it and holds
    it until commit, so a change made at the same moment on another replica goes first or
    waits, and the state this command checks is the state it changes."""
    project = common.require_project(ctx)
    issue = await issues.issue_by_number(ctx.session, project_id=id_of(project), number=number)
    if issue is None:
        raise NotFound("error.unknown_issue", ref=f"I{number}")
    return await rows.lock(ctx.session, issue) if lock else issue


async def coordinator_ids(ctx: Context, project: Project) -> set[int]:
    """The project's coordinator and any extra ``coordinator`` role holders."""
    ids = {project.coordinator_id} if project.coordinator_id else set()
    for role in await projects.roles(ctx.session, id_of(project)):
        if role.role == "coordinator":
            ids.add(role.member_id)
    return ids


async def triager_ids(ctx: Context, project: Project) -> set[int]:
    return await coordinator_ids(ctx, project) | await common.pm_ids(ctx, project)


async def in_departments(ctx: Context, project: Project, department_ids: Iterable[int]) -> bool:
    """Is the actor a member, the leader, or the project contact of one of these departments?"""
    wanted = set(department_ids)
    if not wanted:
        return False
    if ctx.actor.department_id in wanted:
        return True
    for department in (await common.department_map(ctx, wanted)).values():
        if department.leader_id == ctx.actor_id:
            return True
    links = await projects.project_departments(ctx.session, id_of(project))
    return any(link.department_id in wanted and link.contact_id == ctx.actor_id for link in links)


async def who_text(ctx: Context, member_ids: set[int], department_ids: Iterable[int] = ()) -> str:
    """``研发部, @alice, @bob`` — how a refusal names who may act."""
    departments = await common.department_map(ctx, department_ids)
    members = await common.member_map(ctx, member_ids)
    names = [d.name for d in sorted(departments.values(), key=_dept_name)]
    names += sorted("@" + m.name for m in members.values())
    return ", ".join(names) or "—"


def _dept_name(department: Department) -> str:
    return department.name


async def check(
    ctx: Context,
    issue: Issue,
    error: str,
    member_ids: set[int],
    department_ids: Iterable[int] = (),
) -> None:
    """Raise ``PermissionDenied(error)`` unless the actor is one of ``member_ids`` or belongs to
    one of ``department_ids``."""
    project = common.require_project(ctx)
    departments = [d for d in department_ids if d]
    if ctx.actor_id in member_ids or await in_departments(ctx, project, departments):
        return
    who = await who_text(ctx, member_ids, departments)
    raise PermissionDenied(error, ref=f"I{issue.number}", who=who)


async def check_triage(ctx: Context, issue: Issue) -> None:
    project = common.require_project(ctx)
    allowed = await triager_ids(ctx, project)
    if allowed:  # a project nobody leads yet must still be able to start working
        await check(ctx, issue, "error.issue_triage_permission", allowed)


async def check_progress(ctx: Context, issue: Issue) -> None:
    owner = {issue.owner_id} if issue.owner_id else set()
    await check(
        ctx, issue, "error.issue_progress_permission", owner, [issue.primary_department_id or 0]
    )


async def check_note(ctx: Context, issue: Issue) -> None:
    links = (await issues.departments_of(ctx.session, [id_of(issue)])).get(id_of(issue), {})
    departments = [*links.get(IssueRole.SUPPORT, []), issue.primary_department_id or 0]
    departments += links.get(IssueRole.INVOLVED, [])
    people = {i for i in (issue.owner_id, issue.reporter_id) if i}
    await check(ctx, issue, "error.issue_note_permission", people, departments)


async def check_resolve(ctx: Context, issue: Issue) -> None:
    project = common.require_project(ctx)
    allowed = await triager_ids(ctx, project)
    if issue.owner_id:
        allowed.add(issue.owner_id)
    await check(ctx, issue, "error.issue_resolve_permission", allowed)


async def check_close(ctx: Context, issue: Issue) -> None:
    """Verify/close and reopen: the reporter or the coordinator."""
    project = common.require_project(ctx)
    allowed = await coordinator_ids(ctx, project)
    if issue.reporter_id:
        allowed.add(issue.reporter_id)
    await check(ctx, issue, "error.issue_close_permission", allowed)


async def check_edit(ctx: Context, issue: Issue) -> None:
    project = common.require_project(ctx)
    allowed = await triager_ids(ctx, project)
    if issue.reporter_id:
        allowed.add(issue.reporter_id)
    await check(ctx, issue, "error.issue_edit_permission", allowed)


def check_state(ctx: Context, issue: Issue, allowed: tuple[str, ...], action: str) -> None:
    """Raise ``Conflict`` naming the states where ``action`` works when ``issue`` is elsewhere."""
    if issue.status in allowed:
        return
    raise Conflict(
        "error.issue_transition",
        ref=f"I{issue.number}",
        status=ctx.t(f"issue.status.{issue.status}"),
        action=ctx.t(f"issue.action.{action}"),
        allowed=" / ".join(ctx.t(f"issue.status.{s}") for s in allowed),
    )

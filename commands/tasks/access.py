"""Who may change a task (domain "Permissions"), and finding a task by number."""

from __future__ import annotations

from bot.errors import NotFound, PermissionDenied
from bot.inbound.context import Context
from commands import common
from storage import rows
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Department, Project, Task
from storage.tasks import queries as tasks


async def get_task(ctx: Context, number: int, *, lock: bool = False) -> Task:
    """The project's task by number; ``lock=True`` (every command that changes it) re-reads it and holds
    it until commit, so a change made at the same moment on another replica goes first or
    waits, and the state this command checks is the state it changes."""
    project = common.require_project(ctx)
    task = await tasks.task_by_number(ctx.session, project_id=id_of(project), number=number)
    if task is None:
        raise NotFound("error.unknown_task", ref=f"T{number}")
    return await rows.lock(ctx.session, task) if lock else task


async def may_change(
    ctx: Context, project: Project, task: Task | None, department_id: int | None
) -> tuple[bool, list[str]]:
    """(allowed, names of who may) per domain "Permissions": the PM, the task's owner, or the
    owner department's contact or leader. A project with no PM yet lets anyone start it up."""
    allowed = await common.pm_ids(ctx, project)
    pm_set = bool(allowed)
    if task is not None and task.owner_id:
        allowed.add(task.owner_id)
    dept_id = department_id if department_id is not None else (task.department_id if task else None)
    if dept_id is not None:
        department = await ctx.session.get(Department, dept_id)
        if department and department.leader_id:
            allowed.add(department.leader_id)
        for link in await projects.project_departments(ctx.session, id_of(project)):
            if link.department_id == dept_id and link.contact_id:
                allowed.add(link.contact_id)
    if not pm_set and not allowed:
        return True, []
    names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
    return ctx.actor_id in allowed, names


async def check_change(ctx: Context, task: Task | None, department_id: int | None = None) -> None:
    project = common.require_project(ctx)
    ok, names = await may_change(ctx, project, task, department_id)
    if not ok:
        ref = f"T{task.number}" if task and task.id else ctx.t("task.new_task")
        raise PermissionDenied("error.task_permission", ref=ref, who=", ".join(names))

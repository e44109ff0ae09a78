"""``task T3 raci R:@u,Dept A:@u C:Dept I:Dept,@v`` — responsibility matrix of one task."""

from __future__ import annotations

from bot.errors import UsageError
from bot.inbound.context import Context
from commands import common
from commands.framework import Args
from commands.tasks.access import check_change, get_task
from commands.tasks.views import raci_summary
from storage.rows import id_of
from storage.tables import RaciEntry
from storage.tasks import queries as tasks

ROLES = ("r", "a", "c", "i")


def validate_raci(assignments: dict[str, list[str]]) -> None:
    """Exactly one A and at least one R (domain §1); raises ``UsageError`` otherwise."""
    accountable = assignments.get("a", [])
    if len(accountable) != 1:
        raise UsageError("error.raci_one_a", usage="task.raci", count=len(accountable))
    if not assignments.get("r"):
        raise UsageError("error.raci_need_r", usage="task.raci")


async def set_raci(ctx: Context, number: int, args: Args) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    assignments = {role: args.option_list(role) for role in ROLES if args.has(role)}
    if not assignments:
        current = await raci_summary(ctx, ctx.message(), task)
        raise UsageError("error.raci_missing", usage="task.raci", current=current or "—")
    validate_raci(assignments)
    entries = []
    for role, values in assignments.items():
        for value in values:
            entries.append(await _entry(ctx, id_of(task), role.upper(), value))
    await tasks.replace_raci(ctx.session, task_id=id_of(task), entries=entries)
    summary = await raci_summary(ctx, ctx.message(), task)
    tasks.record_change(
        ctx.session,
        task=task,
        actor_id=ctx.actor_id,
        at=ctx.now_utc(),
        field="raci",
        old=None,
        new=summary,
    )
    ctx.audit("task.raci", "task", task.id, number=task.number, raci=summary)
    ctx.reply(
        ctx.message().section(
            ctx.t("task.raci_set", ref=f"T{task.number}", title=task.title, raci=summary)
        )
    )


async def _entry(ctx: Context, task_id: int, role: str, value: str) -> RaciEntry:
    value = value.strip()
    if value.startswith(("@", "<@")):
        member = await common.resolve_member(ctx, value, usage="task.raci")
        return RaciEntry(task_id=task_id, role=role, member_id=member.id)
    department = await common.resolve_department(ctx, value, usage="task.raci")
    return RaciEntry(task_id=task_id, role=role, department_id=department.id)

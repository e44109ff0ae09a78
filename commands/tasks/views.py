"""How tasks read: one task in full, one-line board entries, and change notices to the I-list."""

from __future__ import annotations

from bot.dates.clock import to_aware_utc
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.i18n import t
from bot.text.render import MessageBuilder
from commands import common
from storage.people import queries as people
from storage.rows import id_of
from storage.tables import Department, Member, Phase, Task, TaskEvent, TaskStatus
from storage.tasks import queries as tasks


def status_label(ctx: Context, status: str) -> str:
    return ctx.t(f"status.{status}")


def is_overdue(ctx: Context, task: Task) -> bool:
    return (
        task.status != TaskStatus.DONE
        and task.due_at is not None
        and to_aware_utc(task.due_at) < ctx.now()
    )


def task_line(
    ctx: Context,
    msg: MessageBuilder,
    task: Task,
    members: dict[int, Member],
    departments: dict[int, Department],
    *,
    with_status: bool = False,
) -> str:
    """``T3 Write spec — @alice · 研发部 · due 12-05 (2d overdue)``"""
    owner = members.get(task.owner_id or 0)
    parts = [msg.mention(owner.id, owner.name) if owner else ctx.t("task.unassigned")]
    if task.department_id in departments:
        parts.append(departments[task.department_id or 0].name)
    if task.due_at is not None:
        due = ctx.t("task.due_short", due=timefmt.moment(ctx, task.due_at, task.due_has_time))
        late = common.overdue_days(ctx, task.due_at) if task.status != TaskStatus.DONE else 0
        parts.append(due + (" " + ctx.t("task.overdue_by", days=late) if late else ""))
    if with_status:
        parts.append(status_label(ctx, task.status))
    line = f"T{task.number} {task.title} — " + " · ".join(parts)
    if task.status == TaskStatus.BLOCKED and task.blocked_reason:
        line += " · " + ctx.t("task.blocked_because", reason=task.blocked_reason)
    return line


async def show_task(ctx: Context, task: Task, *, history: bool = True) -> MessageBuilder:
    msg = ctx.message()
    members = await common.member_map(ctx, [task.owner_id])
    departments = await common.department_map(ctx, [task.department_id])
    msg.header(
        ctx.t(
            "task.header",
            ref=f"T{task.number}",
            title=task.title,
            status=status_label(ctx, task.status),
        )
    )
    owner = members.get(task.owner_id or 0)
    fields = [(ctx.t("field.owner"), msg.mention(owner.id, owner.name) if owner else "—")]
    if task.department_id in departments:
        fields.append((ctx.t("field.department"), departments[task.department_id or 0].name))
    if task.phase_id:
        phase = await ctx.session.get(Phase, task.phase_id)
        fields.append((ctx.t("field.phase"), phase.name if phase else "—"))
    due = timefmt.moment(ctx, task.due_at, task.due_has_time)
    if is_overdue(ctx, task):
        due += " " + ctx.t("task.overdue_by", days=common.overdue_days(ctx, task.due_at))
    fields.append((ctx.t("field.due"), due))
    if task.standard:
        fields.append((ctx.t("field.standard"), task.standard))
    deps = await tasks.dependencies(ctx.session, id_of(task))
    if deps:
        fields.append(
            (
                ctx.t("field.depends_on"),
                ", ".join(f"T{d.number} ({status_label(ctx, d.status)})" for d in deps),
            )
        )
    if task.status == TaskStatus.BLOCKED:
        fields.append((ctx.t("field.blocked_reason"), task.blocked_reason or "—"))
    if task.deliverable:
        fields.append((ctx.t("field.deliverable"), task.deliverable))
    raci_text = await raci_summary(ctx, msg, task)
    if raci_text:
        fields.append(("RACI", raci_text))
    msg.fields(fields)
    if history:
        msg.lines(await history_lines(ctx, msg, task))
    return msg


async def raci_summary(ctx: Context, msg: MessageBuilder, task: Task) -> str:
    entries = await tasks.raci(ctx.session, id_of(task))
    members = await common.member_map(ctx, [e.member_id for e in entries])
    departments = await common.department_map(ctx, [e.department_id for e in entries])
    groups: dict[str, list[str]] = {}
    for entry in entries:
        if entry.member_id in members:
            who = "@" + members[entry.member_id or 0].name
        else:
            who = departments[entry.department_id or 0].name
        groups.setdefault(entry.role, []).append(who)
    return " · ".join(f"{role}: {', '.join(groups[role])}" for role in "RACI" if role in groups)


def describe_change(ctx: Context, event: TaskEvent) -> str:
    """``to do → in progress``, ``created``, or ``Due → 12-05``."""
    if event.field == "status":
        return f"{status_label(ctx, event.old or '')} → {status_label(ctx, event.new or '')}"
    if event.field == "created":
        return ctx.t("task.history_created")
    return ctx.t(f"field.{event.field}") + f" → {event.new or '—'}"


async def history_lines(ctx: Context, msg: MessageBuilder, task: Task) -> list[str]:
    events = await tasks.history(ctx.session, id_of(task))
    actors = await common.member_map(ctx, [e.actor_id for e in events])
    lines = [ctx.t("task.history_title")]
    for event in events[-15:]:
        actor = actors.get(event.actor_id or 0)
        who = "@" + actor.name if actor else ctx.t("task.system")
        when = timefmt.moment(ctx, event.at)
        change = describe_change(ctx, event)
        note = f" ({event.note})" if event.note else ""
        lines.append(f"  {when} {who} {change}{note}")
    return lines


async def informed_members(ctx: Context, task: Task) -> list[Member]:
    """The task's I-list as people: persons directly, departments through their leader."""
    ids: set[int] = set()
    for entry in await tasks.raci(ctx.session, id_of(task)):
        if entry.role != "I":
            continue
        if entry.member_id:
            ids.add(entry.member_id)
        elif entry.department_id:
            department = await ctx.session.get(Department, entry.department_id)
            if department and department.leader_id:
                ids.add(department.leader_id)
    ids.discard(ctx.actor_id)
    return list((await people.members_by_ids(ctx.session, ids)).values())


async def notify_informed(ctx: Context, task: Task, old: str, new: str) -> None:
    project = common.require_project(ctx)
    for member in await informed_members(ctx, task):
        target = await common.dm_target(ctx, member)
        if target is None:
            continue
        locale = member.locale or ctx.locale

        msg = ctx.message()
        msg.section(
            t(
                locale,
                "task.informed",
                project=project.name,
                ref=f"T{task.number}",
                title=task.title,
                old=t(locale, f"status.{old}"),
                new=t(locale, f"status.{new}"),
                actor=msg.mention(ctx.actor_id, ctx.actor.name),
            )
        )
        ctx.send(target, msg)

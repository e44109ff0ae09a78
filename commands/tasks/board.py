"""``board`` / ``看板``, ``my`` / ``我的`` and ``standup`` / ``站会``: views of the work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args, Family, Verb
from commands.tasks.views import describe_change, is_overdue, status_label, task_line
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Department, Member, Task, TaskStatus
from storage.tasks import queries as tasks

STATUS_ORDER = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW, TaskStatus.DONE)


def _sort_key(task: Task) -> tuple[bool, object, int]:
    return (task.due_at is None, task.due_at or 0, task.number)


async def board(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    by = (args.option("by") or args.text() or "status").lower()
    if by not in ("status", "phase", "状态", "阶段"):
        raise UsageError("error.bad_board_grouping", usage="board", value=by)
    rows = sorted(await tasks.project_tasks(ctx.session, id_of(project)), key=_sort_key)
    msg = ctx.message()
    msg.header(ctx.t("board.header", ref=f"P{project.id}", name=project.name))
    if not rows:
        msg.section(ctx.t("board.empty"))
        ctx.reply(msg)
        return
    members = await common.member_map(ctx, [t.owner_id for t in rows])
    departments = await common.department_map(ctx, [t.department_id for t in rows])
    urgent = [t for t in rows if t.status == TaskStatus.BLOCKED or is_overdue(ctx, t)]
    if urgent:
        lines = [ctx.t("board.attention", count=len(urgent))]
        for task in urgent:
            mark = "⛔" if task.status == TaskStatus.BLOCKED else "⚠"
            lines.append(
                f"{mark} " + task_line(ctx, msg, task, members, departments, with_status=True)
            )
        msg.lines(lines)
    rest = [t for t in rows if t not in urgent]
    if by in ("phase", "阶段"):
        await _by_phase(ctx, msg, id_of(project), rest, members, departments)
    else:
        for status in STATUS_ORDER:
            group = [t for t in rest if t.status == status]
            if group:
                lines = [
                    ctx.t("board.status_group", name=status_label(ctx, status), count=len(group))
                ]
                lines += ["• " + task_line(ctx, msg, t, members, departments) for t in group]
                msg.lines(lines)
    done = sum(1 for t in rows if t.status == TaskStatus.DONE)
    msg.context(
        ctx.t(
            "board.footer",
            done=done,
            total=len(rows),
            overdue=sum(1 for t in rows if is_overdue(ctx, t)),
            blocked=sum(1 for t in rows if t.status == TaskStatus.BLOCKED),
        )
    )
    ctx.reply(msg)


async def _by_phase(
    ctx: Context,
    msg: MessageBuilder,
    project_id: int,
    rows: list[Task],
    members: dict[int, Member],
    departments: dict[int, Department],
) -> None:
    phases = await projects.phases(ctx.session, project_id)
    groups = [
        (
            p.id,
            p.name
            + (" — " + ctx.t("project.milestone", date=str(p.milestone)) if p.milestone else ""),
        )
        for p in phases
    ]
    groups.append((None, ctx.t("board.no_phase")))
    for phase_id, title in groups:
        group = [t for t in rows if t.phase_id == phase_id]
        if group:
            lines = [ctx.t("board.group", name=title, count=len(group))]
            lines += [
                "• " + task_line(ctx, msg, t, members, departments, with_status=True) for t in group
            ]
            msg.lines(lines)


Section = Callable[[Context, MessageBuilder], Awaitable[None]]


async def my(ctx: Context, args: Args, sections: Sequence[Section] = ()) -> None:
    rows = await tasks.open_tasks_of(ctx.session, ctx.actor_id)
    msg = ctx.message()
    msg.header(ctx.t("board.my_header", name=ctx.actor.name))
    if not rows:
        msg.section(ctx.t("board.my_empty"))
    else:
        members = await common.member_map(ctx, [ctx.actor_id])
        departments = await common.department_map(ctx, [t.department_id for t in rows])
        by_project: dict[int, list[Task]] = {}
        for task in rows:
            by_project.setdefault(task.project_id, []).append(task)
        for project_id, group in by_project.items():
            project = await projects.get_project(ctx.session, project_id)
            lines = [f"**P{project_id} {project.name if project else ''}**"]
            for task in group:
                mark = (
                    "⛔ "
                    if task.status == TaskStatus.BLOCKED
                    else ("⚠ " if is_overdue(ctx, task) else "• ")
                )
                lines.append(
                    mark + task_line(ctx, msg, task, members, departments, with_status=True)
                )
            msg.lines(lines)
    for section in sections:
        await section(ctx, msg)
    ctx.reply(msg)


async def standup(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    since = ctx.now_utc() - timedelta(days=7)
    rows = await tasks.project_tasks(ctx.session, id_of(project))
    by_id = {t.id: t for t in rows}
    members = await common.member_map(ctx, [t.owner_id for t in rows])
    departments = await common.department_map(ctx, [t.department_id for t in rows])
    msg = ctx.message()
    msg.header(ctx.t("board.standup_header", name=project.name))
    blocked = [t for t in rows if t.status == TaskStatus.BLOCKED]
    lines = [ctx.t("board.standup_blocked", count=len(blocked))]
    lines += ["⛔ " + task_line(ctx, msg, t, members, departments) for t in blocked] or [
        "  " + ctx.t("board.none")
    ]
    msg.lines(lines)
    overdue = [t for t in rows if is_overdue(ctx, t) and t.status != TaskStatus.BLOCKED]
    if overdue:
        msg.lines(
            [ctx.t("board.standup_overdue", count=len(overdue))]
            + ["⚠ " + task_line(ctx, msg, t, members, departments) for t in overdue]
        )
    events = await tasks.project_changes_since(ctx.session, project_id=id_of(project), since=since)
    actors = await common.member_map(ctx, [e.actor_id for e in events])
    changes = [ctx.t("board.standup_changes", count=len(events))]
    for event in events[-30:]:
        task = by_id.get(event.task_id)
        if task is None:
            continue
        who = (
            "@" + actors[event.actor_id].name if event.actor_id in actors else ctx.t("task.system")
        )
        what = describe_change(ctx, event)
        changes.append(
            f"• {timefmt.moment(ctx, event.at)} T{task.number} {task.title}: {what} ({who})"
        )
    if len(changes) == 1:
        changes.append("  " + ctx.t("board.none"))
    msg.lines(changes)
    ctx.reply(msg)


def families(my_sections: Sequence[Section] = ()) -> tuple[Family, ...]:
    """``my_sections``: other families' "waiting for you" parts (issues, approvals)."""

    async def my_view(ctx: Context, args: Args) -> None:
        await my(ctx, args, my_sections)

    return (
        Family(
            name="board",
            words=("board", "看板"),
            usage="board",
            default=Verb(("board",), board, "board", frozenset({"by"})),
        ),
        Family(
            name="my",
            words=("my", "mine", "我的"),
            usage="my",
            default=Verb(("my",), my_view, "my", private=True),
        ),
        Family(
            name="standup",
            words=("standup", "站会"),
            usage="standup",
            default=Verb(("standup",), standup, "standup"),
        ),
    )

"""``task`` / ``任务``: add, show, assign, deadline, edit, dependencies, state changes."""

from __future__ import annotations

from bot.errors import Conflict, UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.framework import Args, Family, ItemVerb, Verb, item_number
from commands.tasks.access import check_change, get_task
from commands.tasks.moves import deliver, mover, save_changes
from commands.tasks.raci import set_raci
from commands.tasks.states import OPEN
from commands.tasks.views import show_task
from storage import rows
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Project, Task
from storage.tasks import queries as tasks

ADD_OPTIONS = frozenset({"phase", "owner", "dept", "due", "std", "after", "title"})
EDIT_OPTIONS = frozenset({"title", "phase", "owner", "dept", "due", "std"})


async def apply_fields(
    ctx: Context, task: Task, args: Args
) -> list[tuple[str, str | None, str | None]]:
    """Set phase/owner/dept/due/std/title from options; return (field, old, new) changes."""
    project = common.require_project(ctx)
    changes: list[tuple[str, str | None, str | None]] = []
    if (phase_name := args.option("phase")) is not None:
        phase = await projects.phase_by_name(
            ctx.session, project_id=id_of(project), name=phase_name
        )
        if phase is None:
            known = [p.name for p in await projects.phases(ctx.session, id_of(project))]
            raise UsageError(
                "error.unknown_phase",
                usage=args.usage,
                name=phase_name,
                known=", ".join(known) or "—",
            )
        changes.append(("phase", str(task.phase_id), phase.name))
        task.phase_id = phase.id
    if (owner := args.option("owner")) is not None:
        member = await common.resolve_member(ctx, owner, usage=args.usage)
        changes.append(("owner", str(task.owner_id), member.name))
        task.owner_id = member.id
        if args.option("dept") is None and task.department_id is None:
            task.department_id = member.department_id
    if (dept := args.option("dept")) is not None:
        department = await common.resolve_department(ctx, dept, usage=args.usage)
        changes.append(("dept", str(task.department_id), department.name))
        task.department_id = department.id
    if (due := args.option("due")) is not None:
        old = timefmt.moment(ctx, task.due_at, task.due_has_time)
        task.due_at, task.due_has_time = common.parse_deadline(ctx, due)
        changes.append(("due", old, timefmt.moment(ctx, task.due_at, task.due_has_time)))
    if (std := args.option("std")) is not None:
        changes.append(("std", task.standard, std))
        task.standard = std
    if (title := args.option("title")) is not None and title:
        changes.append(("title", task.title, title))
        task.title = title
    return changes


async def add(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    title = args.option("title") or args.require_text(ctx.t("task.title_word"))
    now = ctx.now_utc()
    task = Task(
        project_id=id_of(project),
        number=0,
        title=title,
        created_by=ctx.actor_id,
        created_at=now,
        updated_at=now,
    )
    await apply_fields(ctx, task, args)
    await check_change(ctx, task, task.department_id)
    await tasks.add_task(ctx.session, task)
    for ref in args.option_list("after"):
        await _depend(ctx, task, ref, args.usage)
    tasks.record_change(
        ctx.session,
        task=task,
        actor_id=ctx.actor_id,
        at=now,
        field="created",
        old=None,
        new=task.title,
    )
    ctx.audit("task.create", "task", task.id, number=task.number, title=task.title)
    msg = ctx.message()
    owner = await common.member_map(ctx, [task.owner_id])
    who = msg.mention(task.owner_id, owner[task.owner_id].name) if task.owner_id else "—"
    msg.section(
        ctx.t(
            "task.created",
            ref=f"T{task.number}",
            title=task.title,
            owner=who,
            due=timefmt.moment(ctx, task.due_at, task.due_has_time),
        )
    )
    ctx.reply(msg)


async def _depend(ctx: Context, task: Task, ref: str, usage: str | None) -> Task:
    number = item_number(ref.strip(), "T")
    if number is None:
        raise UsageError("error.bad_task_ref", usage=usage, value=ref)
    other = await get_task(ctx, number)
    if other.id == task.id:
        raise UsageError("error.self_dependency", usage=usage, ref=f"T{number}")
    # The cycle check reads the whole project's graph: hold the project so two opposite
    # ``after``s at once cannot both pass it.
    await rows.lock_id(ctx.session, Project, task.project_id)
    graph = await tasks.dependency_ids(ctx.session, task.project_id)
    if _reaches(graph, id_of(other), id_of(task)):
        raise Conflict("error.dependency_cycle", ref=f"T{task.number}", other=f"T{number}")
    await tasks.add_dependency(ctx.session, task_id=id_of(task), depends_on_id=id_of(other))
    return other


def _reaches(graph: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


async def show(ctx: Context, number: int, args: Args) -> None:
    ctx.reply(await show_task(ctx, await get_task(ctx, number)))


async def edit(ctx: Context, number: int, args: Args) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    if not args.options and args.text():
        args.set_option("title", args.text())
    changes = await apply_fields(ctx, task, args)
    if not changes:
        raise UsageError("error.nothing_to_change", usage="task.edit")
    if args.has("owner") or args.has("dept"):
        await check_change(ctx, task)  # the new owner's department must also be in reach
    await save_changes(ctx, task, changes)
    ctx.reply(await show_task(ctx, task, history=False))


async def assign(ctx: Context, number: int, args: Args) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    who = args.option("owner") or args.person()
    if not who:
        raise UsageError("error.missing_argument", usage=args.usage, what="@person")
    args.set_option("owner", who)
    changes = await apply_fields(ctx, task, args)
    await save_changes(ctx, task, changes)
    owner = (await common.member_map(ctx, [task.owner_id]))[task.owner_id or 0]
    msg = ctx.message()
    msg.section(
        ctx.t(
            "task.assigned",
            ref=f"T{task.number}",
            title=task.title,
            owner=msg.mention(owner.id, owner.name),
        )
    )
    ctx.reply(msg)


async def set_due(ctx: Context, number: int, args: Args) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    text = args.option("due") or args.text()
    if not text:
        raise UsageError("error.missing_argument", usage=args.usage, what=ctx.t("task.due_word"))
    args.set_option("due", text)
    changes = await apply_fields(ctx, task, args)
    await save_changes(ctx, task, changes)
    ctx.reply(
        ctx.message().section(
            ctx.t(
                "task.due_set",
                ref=f"T{task.number}",
                title=task.title,
                due=timefmt.moment(ctx, task.due_at, task.due_has_time),
            )
        )
    )


async def after(ctx: Context, number: int, args: Args) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    refs = [r for t in args.positional for r in t.text.replace("，", ",").split(",") if r.strip()]
    if not refs:
        raise UsageError("error.missing_argument", usage=args.usage, what="T2")
    names = []
    for ref in refs:
        other = await _depend(ctx, task, ref, args.usage)
        names.append(f"T{other.number}")
    await save_changes(ctx, task, [("after", None, ", ".join(names))])
    ctx.reply(
        ctx.message().section(ctx.t("task.depends", ref=f"T{task.number}", others=", ".join(names)))
    )


FAMILY_USAGE = "task"
OPEN_STATES = OPEN


def family() -> Family:
    return Family(
        name="task",
        words=("task", "tasks", "任务", "t"),
        usage=FAMILY_USAGE,
        item_prefix="T",
        verbs=(
            Verb(("add", "new", "create", "新建", "添加", "创建"), add, "task.add", ADD_OPTIONS),
        ),
        item_default=ItemVerb(("show",), show, "task.show"),
        item_verbs=(
            ItemVerb(("show", "查看", "详情"), show, "task.show"),
            ItemVerb(("edit", "修改", "编辑"), edit, "task.edit", EDIT_OPTIONS),
            ItemVerb(
                ("assign", "指派", "分配"), assign, "task.assign", frozenset({"owner", "dept"})
            ),
            ItemVerb(("due", "deadline", "截止"), set_due, "task.due", frozenset({"due"})),
            ItemVerb(("after", "depends", "依赖"), after, "task.after"),
            ItemVerb(("start", "开始"), mover("start"), "task.start"),
            ItemVerb(("review", "提审", "审核"), mover("review"), "task.review"),
            ItemVerb(("done", "finish", "完成"), mover("done"), "task.done"),
            ItemVerb(("block", "阻塞"), mover("block"), "task.block", frozenset({"reason"})),
            ItemVerb(("unblock", "解除", "解除阻塞"), mover("unblock"), "task.unblock"),
            ItemVerb(("reopen", "重开"), mover("reopen"), "task.reopen"),
            ItemVerb(("deliver", "交付"), deliver, "task.deliver"),
            ItemVerb(("raci",), set_raci, "task.raci", frozenset({"r", "a", "c", "i"})),
        ),
    )

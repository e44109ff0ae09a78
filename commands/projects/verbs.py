"""``project`` / ``项目`` and ``phase`` / ``阶段``: create, show, edit, bind; phases and milestones."""

from __future__ import annotations

from bot.errors import NotFound, PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args, Family, Verb
from commands.parsing.dates import parse_date
from commands.projects import groups as project_groups
from commands.requests import charter
from storage import rows
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Phase, Project, TaskStatus
from storage.tasks import queries as tasks

PROJECT_OPTIONS = frozenset(
    {
        "goal",
        "start",
        "end",
        "depts",
        "dept",
        "owner",
        "sponsor",
        "coordinator",
        "scope",
        "budget",
        "name",
    }
)


async def apply_project_fields(ctx: Context, project: Project, args: Args) -> list[str]:
    """Set fields from options; returns the names of the fields changed."""
    changed: list[str] = []
    for key in ("goal", "scope", "budget", "name"):
        if (value := args.option(key)) is not None:
            setattr(project, key, value)
            changed.append(key)
    for key, column in (("start", "start_date"), ("end", "end_date")):
        if (value := args.option(key)) is not None:
            setattr(project, column, parse_date(value, today=ctx.today(), calendar=ctx.calendar))
            changed.append(key)
    if project.start_date and project.end_date and project.end_date < project.start_date:
        raise UsageError("error.end_before_start", usage=args.usage)
    for role in ("owner", "sponsor", "coordinator"):
        if (value := args.option(role)) is not None:
            member = await common.resolve_member(ctx, value, usage=args.usage)
            setattr(project, f"{role}_id", member.id)
            changed.append(role)
    names = args.option_list("depts") + args.option_list("dept")
    if names:
        await ctx.session.flush()
        for name in names:
            department = await common.resolve_department(ctx, name, create=True, usage=args.usage)
            await projects.add_department(
                ctx.session, project_id=id_of(project), department_id=id_of(department)
            )
        changed.append("depts")
    return changed


async def new(ctx: Context, args: Args) -> None:
    name = args.option("name") or args.require_text(ctx.t("project.name_word"))
    now = ctx.now_utc()
    project = Project(
        name=name, owner_id=ctx.actor_id, created_by=ctx.actor_id, created_at=now, updated_at=now
    )
    ctx.session.add(project)
    await ctx.session.flush()
    await apply_project_fields(ctx, project, args)
    previous = ctx.project
    await projects.bind_chat(ctx.session, chat=ctx.chat, project_id=id_of(project))
    ctx.project = project
    ctx.audit("project.create", "project", project.id, name=name, chat=ctx.chat.external_id)
    msg = ctx.message()
    msg.section(
        ctx.t(
            "project.created",
            ref=f"P{project.id}",
            name=name,
            chat=ctx.chat.name or ctx.chat.external_id,
        )
    )
    if previous is not None and previous.id != project.id:
        msg.context(ctx.t("project.rebound", old=f"P{previous.id}", name=previous.name))
    msg.context(ctx.t("project.next_steps"))
    ctx.reply(msg)


async def show(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    ctx.reply(await project_card(ctx, project))


async def project_card(ctx: Context, project: Project) -> MessageBuilder:
    msg = ctx.message()
    msg.header(ctx.t("project.header", ref=f"P{project.id}", name=project.name))
    people_ids = [project.owner_id, project.sponsor_id, project.coordinator_id]
    links = await projects.project_departments(ctx.session, id_of(project))
    members = await common.member_map(ctx, people_ids + [link.contact_id for link in links])
    departments = await common.department_map(ctx, [link.department_id for link in links])

    def who(member_id: int | None) -> str:
        member = members.get(member_id or 0)
        return msg.mention(member.id, member.name) if member else "—"

    all_tasks = await tasks.project_tasks(ctx.session, id_of(project))
    done = sum(1 for t in all_tasks if t.status == TaskStatus.DONE)
    percent = round(100 * done / len(all_tasks)) if all_tasks else 0
    dept_names = []
    for link in links:
        name = departments[link.department_id].name
        contact = members.get(link.contact_id or 0)
        dept_names.append(f"{name} ({'@' + contact.name})" if contact else name)
    fields = [
        (ctx.t("field.goal"), project.goal or "—"),
        (ctx.t("field.dates"), f"{project.start_date or '—'} → {project.end_date or '—'}"),
        (ctx.t("field.owner"), who(project.owner_id)),
        (ctx.t("field.sponsor"), who(project.sponsor_id)),
        (ctx.t("field.coordinator"), who(project.coordinator_id)),
        (ctx.t("field.departments"), ", ".join(dept_names) or "—"),
        (
            ctx.t("field.progress"),
            ctx.t("project.progress", done=done, total=len(all_tasks), percent=percent),
        ),
    ]
    if project.charter_status:
        fields.append((ctx.t("field.charter"), ctx.t(f"project.charter_{project.charter_status}")))
    msg.fields(fields)
    phase_lines = [
        f"{p.position}. {p.name}"
        + (" — " + ctx.t("project.milestone", date=str(p.milestone)) if p.milestone else "")
        for p in await projects.phases(ctx.session, id_of(project))
    ]
    if phase_lines:
        msg.lines([ctx.t("project.phases_title"), *phase_lines])
    return msg


async def check_project_admin(ctx: Context, project: Project) -> None:
    allowed = await common.pm_ids(ctx, project)
    if project.sponsor_id:
        allowed.add(project.sponsor_id)
    if allowed and ctx.actor_id not in allowed:
        names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
        raise PermissionDenied(
            "error.project_permission", ref=f"P{project.id}", who=", ".join(names)
        )


async def edit(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    await check_project_admin(ctx, project)
    changed = await apply_project_fields(ctx, project, args)
    if not changed:
        raise UsageError("error.nothing_to_change", usage="project.edit")
    project.updated_at = ctx.now_utc()
    ctx.session.add(project)
    ctx.audit("project.update", "project", project.id, fields=changed)
    ctx.reply(
        ctx.message().section(
            ctx.t("project.updated", ref=f"P{project.id}", fields=", ".join(changed))
        )
    )


async def list_projects(ctx: Context, args: Args) -> None:
    rows = await projects.all_projects(ctx.session)
    lines = [
        f"P{p.id} {p.name}" + (" ←" if ctx.project and p.id == ctx.project.id else "") for p in rows
    ]
    ctx.reply(
        ctx.message().lines(
            [ctx.t("project.list_title"), *lines] if lines else [ctx.t("project.none")]
        )
    )


async def phase_add(ctx: Context, args: Args) -> None:
    # Held: the name check and the next position must not race another ``phase add``.
    project = await rows.lock(ctx.session, common.require_project(ctx))
    await check_project_admin(ctx, project)
    name = args.option("name") or args.require_text(ctx.t("project.phase_word"))
    if await projects.phase_by_name(ctx.session, project_id=id_of(project), name=name):
        raise UsageError("error.phase_exists", usage=args.usage, name=name)
    milestone = args.option("milestone")
    phase = Phase(
        project_id=id_of(project),
        position=0,
        name=name,
        milestone=parse_date(milestone, today=ctx.today(), calendar=ctx.calendar)
        if milestone
        else None,
    )
    await projects.add_phase(ctx.session, phase)
    ctx.audit("phase.create", "phase", phase.id, name=name, milestone=str(phase.milestone))
    ctx.reply(
        ctx.message().section(
            ctx.t(
                "project.phase_added",
                position=phase.position,
                name=name,
                milestone=str(phase.milestone) if phase.milestone else "—",
            )
        )
    )


async def phase_edit(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    await check_project_admin(ctx, project)
    name = args.require_text(ctx.t("project.phase_word"))
    phase = await projects.phase_by_name(ctx.session, project_id=id_of(project), name=name)
    if phase is None:
        raise NotFound(
            "error.unknown_phase",
            name=name,
            known=", ".join(p.name for p in await projects.phases(ctx.session, id_of(project)))
            or "—",
        )
    if (milestone := args.option("milestone")) is not None:
        phase.milestone = parse_date(milestone, today=ctx.today(), calendar=ctx.calendar)
    if (reached := args.option("reached")) is not None:
        phase.milestone_reached_on = parse_date(reached, today=ctx.today(), calendar=ctx.calendar)
    if (new_name := args.option("name")) is not None:
        phase.name = new_name
    ctx.session.add(phase)
    ctx.audit("phase.update", "phase", phase.id, name=phase.name, milestone=str(phase.milestone))
    ctx.reply(
        ctx.message().section(
            ctx.t("project.phase_updated", name=phase.name, milestone=str(phase.milestone or "—"))
        )
    )


async def phase_list(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    rows = await projects.phases(ctx.session, id_of(project))
    lines = [
        f"{p.position}. {p.name}"
        + (" — " + ctx.t("project.milestone", date=str(p.milestone)) if p.milestone else "")
        for p in rows
    ]
    ctx.reply(
        ctx.message().lines(
            [ctx.t("project.phases_title"), *lines] if lines else [ctx.t("project.no_phases")]
        )
    )


def project_family() -> Family:
    return Family(
        name="project",
        words=("project", "projects", "项目"),
        usage="project",
        default=Verb(("show",), show, "project", takes_text=False),
        verbs=(
            Verb(("new", "add", "create", "新建", "创建"), new, "project.new", PROJECT_OPTIONS),
            Verb(("edit", "set", "修改", "编辑"), edit, "project.edit", PROJECT_OPTIONS),
            Verb(("bind", "绑定"), project_groups.bind, "project.bind"),
            Verb(
                ("groups", "群组", "群"), project_groups.groups, "project.groups", takes_text=False
            ),
            Verb(("unbind", "解绑", "解除绑定"), project_groups.unbind, "project.unbind"),
            Verb(("list", "列表", "all"), list_projects, "project.list"),
            Verb(("charter", "章程"), charter.charter_command, "project.charter"),
        ),
    )


def phase_family() -> Family:
    options = frozenset({"milestone", "name", "reached"})
    return Family(
        name="phase",
        words=("phase", "phases", "阶段"),
        usage="phase",
        default=Verb(("list",), phase_list, "phase", takes_text=False),
        verbs=(
            Verb(("add", "new", "新建", "添加"), phase_add, "phase.add", options),
            Verb(("edit", "修改"), phase_edit, "phase.edit", options),
        ),
    )

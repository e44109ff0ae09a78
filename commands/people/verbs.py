"""``dept`` / ``部门`` and ``member`` / ``成员``: who is who, where, and in which time zone."""

from __future__ import annotations

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text.i18n import normalize_locale
from commands import common
from commands.framework import Args, Family, Verb
from commands.people import links
from commands.projects.verbs import check_project_admin
from storage import rows
from storage.people import queries as people
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Department, Member

DEPT_OPTIONS = frozenset({"leader", "tz", "region", "name"})
MEMBER_OPTIONS = frozenset({"dept", "tz", "locale", "role", "name", "delegate", "daily", "prefer"})
ROLES = ("pm", "sponsor", "coordinator", "contact", "member")


async def dept_add(ctx: Context, args: Args) -> None:
    name = args.option("name") or args.require_text(ctx.t("people.dept_word"))
    department, created = await people.ensure_department(ctx.session, name=name, now=ctx.now_utc())
    if not created:  # also when another replica added it a moment ago
        raise UsageError("error.dept_exists", usage="dept.edit", name=department.name)
    ctx.audit("department.create", "department", department.id, name=department.name)
    await _dept_fields(ctx, department, args)
    ctx.reply(ctx.message().section(ctx.t("people.dept_added", name=department.name)))


async def dept_edit(ctx: Context, args: Args) -> None:
    name = args.require_text(ctx.t("people.dept_word"))
    department = await common.resolve_department(ctx, name, usage="dept.edit")
    if not args.options:
        raise UsageError("error.nothing_to_change", usage="dept.edit")
    await _dept_fields(ctx, department, args)
    ctx.reply(ctx.message().section(ctx.t("people.dept_updated", name=department.name)))


async def _dept_fields(ctx: Context, department: Department, args: Args) -> None:
    if (leader := args.option("leader")) is not None:
        member = await common.resolve_member(ctx, leader, usage=args.usage)
        department.leader_id = member.id
        if member.department_id is None:
            member.department_id = department.id
            ctx.session.add(member)
    if (tz := args.option("tz")) is not None:
        department.timezone = common.zone(tz, usage=args.usage)
    if (region := args.option("region")) is not None:
        department.region = region
    if (new_name := args.option("name")) is not None and new_name != department.name:
        department.name = new_name
    ctx.session.add(department)
    ctx.audit(
        "department.update",
        "department",
        department.id,
        name=department.name,
        leader_id=department.leader_id,
        timezone=department.timezone,
    )


async def dept_list(ctx: Context, args: Args) -> None:
    if args.text():
        department = await common.resolve_department(ctx, args.text(), usage="dept")
        await _dept_show(ctx, department)
        return
    rows = await people.departments(ctx.session)
    leaders = await common.member_map(ctx, [d.leader_id for d in rows])
    msg = ctx.message()
    if not rows:
        msg.section(ctx.t("people.no_depts"))
    lines = [ctx.t("people.depts_title")] if rows else []
    for dept in rows:
        leader = leaders.get(dept.leader_id or 0)
        extra = [ctx.t("people.leader", name="@" + leader.name)] if leader else []
        extra += [x for x in (dept.region, dept.timezone) if x]
        lines.append(f"• {dept.name}" + (" — " + " · ".join(extra) if extra else ""))
    msg.lines(lines)
    ctx.reply(msg)


async def _dept_show(ctx: Context, department: Department) -> None:
    members = await people.department_members(ctx.session, id_of(department))
    msg = ctx.message()
    msg.header(department.name)
    leader = (await common.member_map(ctx, [department.leader_id])).get(department.leader_id or 0)
    msg.fields(
        [
            (ctx.t("field.leader"), "@" + leader.name if leader else "—"),
            (ctx.t("field.timezone"), department.timezone or "—"),
            (ctx.t("field.members"), ", ".join("@" + m.name for m in members) or "—"),
        ]
    )
    ctx.reply(msg)


async def member(ctx: Context, args: Args) -> None:
    who = args.person()
    target = await common.resolve_member(ctx, who, usage="member") if who else ctx.actor
    changed = await _member_fields(ctx, target, args)
    if changed:
        ctx.audit("member.update", "member", target.id, name=target.name, fields=changed)
    await _member_card(ctx, target, updated=bool(changed))


async def _member_fields(ctx: Context, target: Member, args: Args) -> list[str]:
    changed = []
    if (dept := args.option("dept")) is not None:
        department = await common.resolve_department(ctx, dept, create=True, usage=args.usage)
        target.department_id = department.id
        changed.append("dept")
    if (tz := args.option("tz")) is not None:
        target.timezone = common.zone(tz, usage=args.usage)
        changed.append("tz")
    if (locale := args.option("locale")) is not None:
        normalized = normalize_locale(locale)
        if normalized is None:
            raise UsageError("error.bad_locale", usage=args.usage, value=locale)
        target.locale = normalized
        changed.append("locale")
        if target.id == ctx.actor_id:
            ctx.locale = normalized
    if (delegate := args.option("delegate")) is not None:
        target.delegate_id = (await common.resolve_member(ctx, delegate, usage=args.usage)).id
        changed.append("delegate")
    if (daily := args.option("daily")) is not None:
        target.daily_reminders = daily.lower() in ("on", "yes", "true", "1", "开", "是")
        changed.append("daily")
    if (name := args.option("name")) is not None:
        target.name = name
        changed.append("name")
    if (prefer := args.option("prefer")) is not None:
        await links.set_preference(ctx, target, prefer, args.usage or "member")
        changed.append("prefer")
    ctx.session.add(target)
    await ctx.session.flush()
    if (role := args.option("role")) is not None:
        await _set_role(ctx, target, role.lower(), args)
        changed.append("role")
    return changed


async def _set_role(ctx: Context, target: Member, role: str, args: Args) -> None:
    aliases = {
        "项目经理": "pm",
        "负责人": "pm",
        "owner": "pm",
        "发起人": "sponsor",
        "协调人": "coordinator",
        "接口人": "contact",
        "成员": "member",
    }
    role = aliases.get(role, role)
    if role not in ROLES:
        raise UsageError("error.bad_role", usage=args.usage, value=role, roles=", ".join(ROLES))
    project = await rows.lock(ctx.session, common.require_project(ctx))  # "no owner yet" below
    await check_project_admin(ctx, project)
    if role == "sponsor":
        project.sponsor_id = target.id
    elif role == "coordinator":
        project.coordinator_id = target.id
    elif role == "contact":
        if target.department_id is None:
            raise UsageError("error.contact_needs_dept", usage=args.usage, name=target.name)
        await projects.add_department(
            ctx.session,
            project_id=id_of(project),
            department_id=target.department_id,
            contact_id=target.id,
        )
    else:
        if role == "pm" and project.owner_id is None:
            project.owner_id = target.id
        await projects.add_role(
            ctx.session, project_id=id_of(project), member_id=id_of(target), role=role
        )
    ctx.session.add(project)
    ctx.audit("project.role", "project", project.id, member=target.name, role=role)


async def _member_card(ctx: Context, target: Member, *, updated: bool) -> None:
    msg = ctx.message()
    department = await ctx.session.get(Department, target.department_id or 0)
    title = "people.member_updated" if updated else "people.member_title"
    msg.section(ctx.t(title, name=msg.mention(target.id, target.name)))
    msg.fields(
        [
            (ctx.t("field.department"), department.name if department else "—"),
            (
                ctx.t("field.timezone"),
                target.timezone or ctx.t("people.default_value", value=ctx.settings.timezone),
            ),
            (
                ctx.t("field.locale"),
                target.locale or ctx.t("people.default_value", value=ctx.locale),
            ),
            *await links.account_fields(ctx, target),
        ]
    )
    ctx.reply(msg)


def families() -> tuple[Family, ...]:
    return (
        Family(
            name="dept",
            words=("dept", "depts", "department", "部门"),
            usage="dept",
            default=Verb(("list",), dept_list, "dept"),
            verbs=(
                Verb(("add", "new", "新建", "添加"), dept_add, "dept.add", DEPT_OPTIONS),
                Verb(("edit", "set", "修改"), dept_edit, "dept.edit", DEPT_OPTIONS),
            ),
        ),
        Family(
            name="member",
            words=("member", "members", "成员"),
            usage="member",
            default=Verb(("member",), member, "member", MEMBER_OPTIONS),
            verbs=(
                Verb(("link", "关联", "绑定账号"), links.link, "member.link"),
                Verb(("unlink", "取消关联", "解绑账号"), links.unlink, "member.unlink"),
            ),
        ),
    )

"""``project bind`` / ``groups`` / ``unbind``: the groups a project is bound to, on any platform.

A project may be bound to any number of groups (``project bind P1`` in each), on the same or
other platforms; every command in any of them acts on the same board, each group keeps its
own language, zone, digest time, quiet hours and ``settings notify:``. Unbinding is the
owner's or a PM's; the last group stays while the project is open (the project would go
silent: no reminders, no digests, nowhere to answer).
"""

from __future__ import annotations

from bot.errors import Conflict, NotFound, PermissionDenied
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text.i18n import Translator
from bot.text.messages import Target
from commands import common
from commands.framework import Args, item_number
from storage import rows
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Chat, Project, ProjectStatus

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ``weekday.*`` locale keys


async def bind(ctx: Context, args: Args) -> None:
    text = args.require_text("P1")
    number = item_number(text, "P")
    project = (
        await projects.get_project(ctx.session, number)
        if number is not None
        else await projects.project_by_name(ctx.session, text)
    )
    if project is None:
        raise NotFound("error.unknown_project", ref=text)
    await projects.bind_chat(ctx.session, chat=ctx.chat, project_id=id_of(project))
    ctx.project = project
    ctx.audit("project.bind", "project", project.id, chat=ctx.chat.external_id)
    ctx.reply(
        ctx.message().section(ctx.t("project.bound", ref=f"P{project.id}", name=project.name))
    )


async def groups(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    chats = await bound_groups(ctx, project)
    msg = ctx.message()
    msg.header(ctx.t("groups.title", ref=f"P{project.id}", name=project.name, count=len(chats)))
    lines = []
    for number, chat in enumerate(chats, 1):
        line = ctx.t(
            "groups.line",
            number=number,
            platform=ctx.t(f"platform.{chat.platform}"),
            group=chat.name or chat.external_id,
            locale=targets.chat_locale(ctx.settings, chat),
            zone=targets.chat_zone(ctx.settings, chat).key,
            digest=digest_slot(ctx, chat),
            quiet=chat.quiet_hours or ctx.settings.schedule.quiet_hours,
            receives=ctx.t(f"groups.notify.{chat.notify or 'all'}"),
        )
        lines.append(line + (" ←" if chat.id == ctx.chat.id else ""))
    msg.lines(lines)
    msg.context(ctx.t("groups.hint"))
    ctx.reply(msg)


def digest_slot(ctx: Context, chat: Chat) -> str:
    sched = ctx.settings.schedule
    weekday = chat.digest_weekday if chat.digest_weekday is not None else sched.digest_weekday
    return ctx.t(f"weekday.{DAY_KEYS[weekday]}") + " " + (chat.digest_time or sched.digest_time)


async def bound_groups(ctx: Context, project: Project) -> list[Chat]:
    return [c for _, c in await targets.project_groups(ctx.session, id_of(project))]


async def unbind(ctx: Context, args: Args) -> None:
    # Held: "is it the last group?" must not race another unbind.
    project = await rows.lock(ctx.session, common.require_project(ctx))
    await check_pm(ctx, project)
    chats = await bound_groups(ctx, project)
    chat = pick(ctx, chats, args.text())
    if len(chats) == 1 and project.status == ProjectStatus.ACTIVE:
        raise Conflict("groups.last_group", ref=f"P{project.id}")
    chat.project_id = None
    ctx.session.add(chat)
    ctx.audit(
        "project.unbind",
        "project",
        project.id,
        chat=chat.external_id,
        chat_platform=chat.platform,
    )
    where = f"{ctx.t(f'platform.{chat.platform}')} {chat.name or chat.external_id}"
    params = {"ref": f"P{project.id}", "name": project.name, "group": where}
    ctx.reply(ctx.message().section(ctx.t("groups.unbound", **params)))
    if chat.id == ctx.chat.id:
        ctx.project = None
        return
    notice = ctx.message()
    who = notice.mention(ctx.actor_id, ctx.actor.name)
    t = Translator(targets.chat_locale(ctx.settings, chat))
    params["group"] = f"{t(f'platform.{chat.platform}')} {chat.name or chat.external_id}"
    notice.section(t("groups.unbound_notice", who=who, **params))
    ctx.send(Target(chat.platform, chat.external_id, name=chat.name), notice)


def pick(ctx: Context, chats: list[Chat], text: str) -> Chat:
    """The group meant: this one (no text), its number in ``project groups``, or its name
    (the number tells apart two groups of one name on two platforms)."""
    if not text:
        here = next((c for c in chats if c.id == ctx.chat.id), None)
        if here is None:
            raise NotFound("groups.unknown", group=ctx.chat.name or ctx.chat.external_id)
        return here
    wanted = text.strip().lstrip("#")
    if wanted.isdigit() and 1 <= int(wanted) <= len(chats):
        return chats[int(wanted) - 1]
    found = [c for c in chats if wanted.lower() in ((c.name or "").lower(), c.external_id.lower())]
    if len(found) != 1:
        raise NotFound("groups.unknown", group=text)
    return found[0]


async def check_pm(ctx: Context, project: Project) -> None:
    """The project's owner or a PM (a group is the project's way to its people)."""
    allowed = await common.pm_ids(ctx, project)
    if allowed and ctx.actor_id not in allowed:
        names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
        raise PermissionDenied("groups.permission", ref=f"P{project.id}", who=", ".join(names))

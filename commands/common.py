"""Helpers every command family uses: resolving people, departments and items, permissions
shared across families, and formatting dates for the reader."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.dates.clock import to_aware_utc, to_utc
from bot.errors import NotFound, UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text.messages import Target
from commands.framework import closest
from commands.parsing.dates import parse_datetime
from storage.people import queries as people
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Department, Member, Project

_MENTION_VALUE = re.compile(r"^<@([^>|]+)(?:\|([^>]*))?>$")
CONSOLE = "console"
# ``@me`` / ``@我``: the speaker, on every platform (a platform mention never reads so).
SELF_WORDS = ("me", "我")


def require_project(ctx: Context) -> Project:
    if ctx.project is None:
        raise UsageError("error.no_project", usage="project.new")
    return ctx.project


async def resolve_member(ctx: Context, text: str, *, usage: str | None = None) -> Member:
    """A person from ``@name``, a platform mention ``<@ID>``, or a plain unique name;
    ``@me`` is the speaker.

    On the console a mention of a new name creates that person (there is no directory);
    on real platforms the mention carries the account, so it is created from it.
    """
    value = text.strip()
    mention = _MENTION_VALUE.match(value)
    if (mention.group(1) if mention else value).lower().lstrip("@") in SELF_WORDS:
        return ctx.actor
    if mention:
        external, name = mention.group(1), mention.group(2) or ctx.mentions.get(mention.group(1))
        member, _ = await people.ensure_member(
            ctx.session, platform=ctx.platform, external_id=external, name=name, now=ctx.now_utc()
        )
        return member
    if value.startswith("@"):
        name = value[1:]
        # On the console (also when it plays another platform), ``@name`` is the account
        # ``name``: the event lists it among its mentions.
        if ctx.platform == CONSOLE or name in ctx.mentions:
            member, _ = await people.ensure_member(
                ctx.session,
                platform=ctx.platform,
                external_id=name,
                name=ctx.mentions.get(name, name),
                now=ctx.now_utc(),
            )
            return member
        value = name
    if not value:
        raise UsageError("error.missing_argument", usage=usage, what="@person")
    found = await people.members_by_name(ctx.session, value)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UsageError("error.ambiguous_member", usage=usage, name=value)
    raise NotFound("error.unknown_member", name=value)


async def resolve_department(
    ctx: Context, name: str, *, create: bool = False, usage: str | None = None
) -> Department:
    name = name.strip()
    department = await people.department_by_name(ctx.session, name)
    if department is not None:
        return department
    if create and name:
        department, created = await people.ensure_department(
            ctx.session, name=name, now=ctx.now_utc()
        )
        if created:
            ctx.audit("department.create", "department", department.id, name=name)
        return department
    known = [d.name for d in await people.departments(ctx.session)]
    raise UsageError(
        "error.unknown_department",
        usage=usage,
        name=name,
        suggestion=closest(name, known) or "",
        known=", ".join(known) or "—",
    )


async def member_map(ctx: Context, ids: Iterable[int | None]) -> dict[int, Member]:
    return await people.members_by_ids(ctx.session, {i for i in ids if i is not None})


async def department_map(ctx: Context, ids: Iterable[int | None]) -> dict[int, Department]:
    return await people.departments_by_ids(ctx.session, {i for i in ids if i is not None})


async def pm_ids(ctx: Context, project: Project) -> set[int]:
    """The owner and every extra PM of ``project``."""
    ids = {project.owner_id} if project.owner_id else set()
    for role in await projects.roles(ctx.session, id_of(project)):
        if role.role == "pm":
            ids.add(role.member_id)
    return ids


def parse_deadline(ctx: Context, text: str) -> tuple[datetime, bool]:
    """A deadline in the speaker's zone → (UTC instant, has_time). A bare date means
    the end of that day."""
    when, has_time = parse_datetime(text, now=ctx.local_now(), calendar=ctx.calendar)
    if not has_time:
        when = datetime.combine(when.date(), time(23, 59, 59), tzinfo=when.tzinfo)
    return to_utc(when), has_time


def parse_instant(ctx: Context, text: str) -> datetime:
    """A point in time (meetings, windows) in the speaker's zone → UTC."""
    when, _ = parse_datetime(text, now=ctx.local_now(), calendar=ctx.calendar)
    return to_utc(when)


def local(ctx: Context, instant: datetime, tz: ZoneInfo | None = None) -> datetime:
    return to_aware_utc(instant).astimezone(tz or ctx.tz)


def overdue_days(ctx: Context, due_at: datetime | None) -> int:
    """Whole days past the deadline (0 when not yet overdue)."""
    if due_at is None:
        return 0
    late = ctx.now() - to_aware_utc(due_at)
    return late.days + 1 if late > timedelta(0) else 0


def zone(value: str, *, usage: str | None = None) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError("error.bad_timezone", usage=usage, value=value) from exc
    return value


def chat_target(platform: str, chat_id: str, name: str | None = None) -> Target:
    return Target(platform=platform, chat_id=chat_id, name=name)


async def project_targets(ctx: Context, project: Project) -> list[Target]:
    """Every group chat bound to ``project``."""
    return [target for target, _ in await targets.project_groups(ctx.session, id_of(project))]


async def dm_target(ctx: Context, member: Member) -> Target | None:
    """Where to DM ``member``: their account on this platform, else on any platform."""
    return await targets.dm_target(ctx.session, member, prefer=ctx.platform)

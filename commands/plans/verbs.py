"""``plan`` / ``沟通计划``: the project's communication plan — recurring items (what, who,
channel, when, owner, expected output, note) that the plan job posts into the project groups.

The PM, sponsor or coordinator keeps the plan (anyone while the project has none of them);
an item's owner may also remove it. Items are numbered as ``plan`` lists them.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.errors import NotFound, PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text import timefmt
from commands import common
from commands.framework import Args, Family, Verb
from commands.parsing.recurrence import parse_every
from commands.plans.schedule import details, next_due, schedule_text
from storage import rows
from storage.plans import queries as plans
from storage.rows import id_of
from storage.tables import PlanItem, Project

LOCAL_ALIASES = {
    "at": "every",  # 时间:周五 15:00 arrives as ``at``
    "频率": "every",
    "周期": "every",
    "with": "who",  # 参与:… arrives as ``with``
    "对象": "who",
    "参与人": "who",
    "内容": "what",
    "事项": "what",
    "产出": "output",
    "预期产出": "output",
    "方式": "channel",
}
ADD_OPTIONS = frozenset(
    {"every", "owner", "output", "who", "channel", "note", "what", *LOCAL_ALIASES}
)


def _fold(args: Args) -> Args:
    for alias, key in LOCAL_ALIASES.items():
        if alias in args.options:
            args.options.setdefault(key, []).extend(args.options.pop(alias))
    return args


async def _check_keeper(ctx: Context, project: Project, item: PlanItem | None = None) -> None:
    keepers = await common.pm_ids(ctx, project)
    keepers |= {i for i in (project.sponsor_id, project.coordinator_id) if i is not None}
    if not keepers:
        return  # a project nobody leads yet must still be able to start its plan
    allowed = keepers | ({item.owner_id} if item is not None and item.owner_id else set())
    if ctx.actor_id not in allowed:
        names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
        raise PermissionDenied("error.plan_permission", who=", ".join(names))


def _recurrence(args: Args) -> tuple[int | None, time]:
    """``(weekday, time)``; weekday ``None`` = every working day."""
    text = args.option("every")
    if not text:
        raise UsageError("error.plan_needs_every", usage="plan.add")
    every = parse_every(text, usage="plan.add")
    if every.at is None or (every.weekday is None and not every.daily):
        raise UsageError("error.plan_needs_time", usage="plan.add", value=text)
    return every.weekday, every.at


async def add(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    await _check_keeper(ctx, project)
    item = await _item(ctx, _fold(args), id_of(project))
    zone = await targets.project_zone(ctx.session, ctx.settings, id_of(project))
    item.next_due_at = next_due(item, zone, ctx.calendar, after=ctx.now_utc())
    await plans.add_item(ctx.session, item)
    ctx.audit(
        "plan.add",
        "plan_item",
        item.id,
        what=item.what,
        weekday=item.weekday,
        time=item.time,
        owner_id=item.owner_id,
        next_due_at=item.next_due_at.isoformat(),
    )
    msg = ctx.message()
    msg.section(
        ctx.t(
            "plan.added",
            n=len(await plans.plan_items(ctx.session, id_of(project))),
            what=item.what,
            when=schedule_text(ctx.locale, item),
            next=timefmt.moment(ctx, item.next_due_at, tz=zone),
            zone=zone.key,
        )
    )
    owner = (await common.member_map(ctx, [item.owner_id])).get(item.owner_id or 0)
    msg.fields(details(ctx.locale, item, owner, msg))
    ctx.reply(msg)


async def _item(ctx: Context, args: Args, project_id: int) -> PlanItem:
    """The plan item a ``plan add`` line describes (not stored yet)."""
    what = args.option("what") or args.require_text(ctx.t("plan.what_word"))
    weekday, at = _recurrence(args)
    owner_text = args.option("owner")
    owner = await common.resolve_member(ctx, owner_text, usage="plan.add") if owner_text else None
    return PlanItem(
        project_id=project_id,
        what=what,
        who=args.option("who") or None,
        channel=args.option("channel") or None,
        weekday=weekday,
        time=f"{at:%H:%M}",
        owner_id=owner.id if owner else None,
        output=args.option("output") or None,
        note=args.option("note") or None,
        created_at=ctx.now_utc(),
    )


async def show(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    items = await plans.plan_items(ctx.session, id_of(project))
    zone = await targets.project_zone(ctx.session, ctx.settings, id_of(project))
    owners = await common.member_map(ctx, [i.owner_id for i in items])
    msg = ctx.message()
    msg.header(ctx.t("plan.header", ref=f"P{project.id}", name=project.name))
    if not items:
        msg.section(ctx.t("plan.empty"))
        ctx.reply(msg)
        return
    rows = [ctx.t("plan.columns")]
    for n, item in enumerate(items, 1):
        owner = owners.get(item.owner_id or 0)
        cells = [
            str(n),
            f"**{item.what}**",
            item.who or "—",
            item.channel or "—",
            schedule_text(ctx.locale, item),
            msg.mention(owner.id, owner.name) if owner else "—",
            item.output or "—",
            item.note or "—",
            _next(ctx, item.next_due_at, zone),
        ]
        rows.append(" | ".join(cells))
    msg.lines(rows)
    msg.context(ctx.t("plan.footer", zone=zone.key))
    ctx.reply(msg)


def _next(ctx: Context, at: datetime | None, zone: ZoneInfo) -> str:
    return timefmt.moment(ctx, at, tz=zone)


async def remove(ctx: Context, args: Args) -> None:
    # Held: items are picked by their place in the list, which another removal shifts.
    project = await rows.lock(ctx.session, common.require_project(ctx))
    items = await plans.plan_items(ctx.session, id_of(project))
    word = (args.first_word() or "").lstrip("#")
    if not word:
        raise UsageError("error.missing_argument", usage=args.usage, what="N")
    if not word.isdigit() or not 1 <= int(word) <= len(items):
        raise NotFound("error.unknown_plan_item", n=word, count=len(items))
    item = items[int(word) - 1]
    await _check_keeper(ctx, project, item)
    await plans.remove_item(ctx.session, item)
    ctx.audit("plan.remove", "plan_item", item.id, what=item.what, n=int(word))
    ctx.reply(ctx.message().section(ctx.t("plan.removed", n=word, what=item.what)))


def family() -> Family:
    return Family(
        name="plan",
        words=("plan", "plans", "沟通计划", "沟通", "计划"),
        usage="plan",
        verbs=(
            Verb(("add", "new", "新建", "添加", "创建"), add, "plan.add", ADD_OPTIONS),
            Verb(("list", "ls", "show", "列表", "查看"), show, "plan.list"),
            Verb(("remove", "rm", "delete", "del", "删除", "移除"), remove, "plan.remove"),
        ),
        default=Verb(("list",), show, "plan.list", takes_text=False),
    )

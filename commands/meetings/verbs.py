"""``meeting`` / ``会议``: schedule, list and show meetings; the family with all its verbs.

Recording during and after the meeting (agenda items, decisions, action items, minutes,
cancelling) is in ``meeting_record``; parsing the schedule line in ``meeting_parse``; how a
meeting reads in ``commands.meetings.messages``. Anyone in the project group may schedule.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from commands import common
from commands.framework import Args, Family, ItemVerb, Verb
from commands.meetings import lists as meeting_lists
from commands.meetings import record as meeting_record
from commands.meetings.access import get_meeting
from commands.meetings.facts import load
from commands.meetings.messages import card
from commands.meetings.parse import (
    agenda_entries,
    duration_minutes,
    participants,
    recurrence,
    start_time,
)
from storage.meetings import queries as meetings
from storage.rows import id_of
from storage.tables import AgendaItem, Department, Meeting, Member

# Chinese spellings the shared alias table does not know, folded onto canonical keys.
LOCAL_ALIASES = {
    "主题": "topic",
    "议题": "topic",
    "参会": "with",
    "参会人": "with",
    "参加": "with",
    "记录员": "recorder",
    "频率": "every",
    "重复": "every",
}
NEW_OPTIONS = frozenset(
    {"at", "duration", "with", "agenda", "every", "recorder", "topic", "title", *LOCAL_ALIASES}
)


def fold_aliases(args: Args) -> Args:
    for alias, key in LOCAL_ALIASES.items():
        if alias in args.options:
            args.options.setdefault(key, []).extend(args.options.pop(alias))
    return args


async def new(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    zone = await targets.project_zone(ctx.session, ctx.settings, id_of(project))
    meeting = await _meeting(ctx, fold_aliases(args), id_of(project), zone)
    members, departments = await participants(ctx, args)
    entries = agenda_entries("; ".join(t.text for t in args.options.get("agenda", [])))
    await meetings.add_meeting(ctx.session, meeting)
    if meeting.every_weekday is not None:
        meeting.series_id = meeting.id  # the first occurrence names the series
    await _add_people(ctx, meeting, members, departments)
    for entry in entries:
        await meetings.add_agenda_item(
            ctx.session,
            AgendaItem(
                meeting_id=id_of(meeting),
                position=0,
                title=entry.title,
                minutes=entry.minutes,
                material=entry.material,
            ),
        )
    _audit_create(ctx, meeting, members, departments, len(entries))
    view = await load(ctx.session, ctx.settings, meeting)
    lead = ctx.t("meeting.scheduled", ref=view.ref, topic=meeting.topic)
    ctx.reply(card(view, ctx.locale, zone, ctx.now(), lead=lead))


async def _meeting(ctx: Context, args: Args, project_id: int, zone: ZoneInfo) -> Meeting:
    """The meeting a ``meeting new`` line describes (not stored yet)."""
    every = recurrence(args)
    topic = args.option("topic") or args.option("title") or args.text()
    if not topic:
        raise UsageError(
            "error.missing_argument", usage=args.usage, what=ctx.t("meeting.topic_word")
        )
    starts_at = start_time(ctx, args, every)
    if starts_at <= ctx.now_utc():
        raise UsageError("error.meeting_in_past", usage=args.usage, at=args.option("at") or "")
    recorder = await _recorder(ctx, args)
    return Meeting(
        project_id=project_id,
        number=0,
        topic=topic,
        starts_at=starts_at,
        duration_minutes=duration_minutes(args.option("duration") or "1h", usage="meeting.new"),
        organizer_id=ctx.actor_id,
        recorder_id=recorder.id if recorder else ctx.actor_id,
        # The series repeats on this weekday in the project's zone (see commands.meetings.facts).
        every_weekday=starts_at.astimezone(zone).weekday() if every else None,
        created_at=ctx.now_utc(),
    )


async def _recorder(ctx: Context, args: Args) -> Member | None:
    text = args.option("recorder")
    return await common.resolve_member(ctx, text, usage="meeting.new") if text else None


async def _add_people(
    ctx: Context, meeting: Meeting, members: list[Member], departments: list[Department]
) -> None:
    for member in members:
        await meetings.add_participant(ctx.session, meeting_id=id_of(meeting), member_id=member.id)
    for department in departments:
        await meetings.add_participant(
            ctx.session, meeting_id=id_of(meeting), department_id=department.id
        )


def _audit_create(
    ctx: Context,
    meeting: Meeting,
    members: list[Member],
    departments: list[Department],
    agenda_count: int,
) -> None:
    ctx.audit(
        "meeting.create",
        "meeting",
        meeting.id,
        number=meeting.number,
        topic=meeting.topic,
        starts_at=meeting.starts_at.isoformat(),
        duration_minutes=meeting.duration_minutes,
        people=[m.name for m in members],
        departments=[d.name for d in departments],
        agenda_items=agenda_count,
        every_weekday=meeting.every_weekday,
        recorder_id=meeting.recorder_id,
    )


async def show(ctx: Context, number: int, args: Args) -> None:
    meeting = await get_meeting(ctx, number)
    zone = await targets.project_zone(ctx.session, ctx.settings, meeting.project_id)
    view = await load(ctx.session, ctx.settings, meeting)
    ctx.reply(card(view, ctx.locale, zone, ctx.now()))


def family() -> Family:
    record = meeting_record
    return Family(
        name="meeting",
        words=("meeting", "meetings", "mtg", "会议"),
        usage="meeting",
        item_prefix="M",
        verbs=(
            Verb(
                ("new", "add", "schedule", "新建", "安排", "预约", "创建"),
                new,
                "meeting.new",
                NEW_OPTIONS,
            ),
            Verb(("list", "ls", "upcoming", "列表"), meeting_lists.list_meetings, "meeting.list"),
        ),
        default=Verb(("list",), meeting_lists.list_meetings, "meeting.list", takes_text=False),
        item_default=ItemVerb(("show",), show, "meeting.show"),
        item_verbs=(
            ItemVerb(("show", "查看", "详情"), show, "meeting.show"),
            ItemVerb(
                ("agenda", "议程"), record.add_agenda, "meeting.agenda", record.AGENDA_OPTIONS
            ),
            ItemVerb(("decide", "decision", "决议", "决定"), record.decide, "meeting.decide"),
            ItemVerb(
                ("action", "todo", "行动", "行动项"),
                record.action,
                "meeting.action",
                record.ACTION_OPTIONS,
            ),
            ItemVerb(
                ("minutes", "publish", "纪要", "会议纪要", "发布纪要"),
                record.minutes,
                "meeting.minutes",
            ),
            ItemVerb(("cancel", "取消"), record.cancel, "meeting.cancel", frozenset({"reason"})),
        ),
    )

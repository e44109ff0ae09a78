"""During and after a meeting: agenda items, decisions (决议), action items (行动项, real
project tasks with ``meeting_id``), minutes (纪要) and cancelling.

Only the organizer, the recorder or a PM may record (``meeting_access.check_recorder``).
Publishing minutes or cancelling one occurrence of a weekly meeting creates the next one.
"""

from __future__ import annotations

from bot.errors import Conflict, UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args
from commands.meetings.access import check_recorder, check_state, get_meeting
from commands.meetings.facts import ensure_next, load
from commands.meetings.messages import minutes_message, span
from commands.meetings.notify import broadcast, cancel_notice
from commands.meetings.parse import agenda_from_tokens, with_usage
from commands.tasks.verbs import apply_fields
from storage.meetings import queries as meetings
from storage.rows import id_of
from storage.tables import AgendaItem, Decision, Meeting, MeetingStatus, Task
from storage.tasks import queries as tasks

AGENDA_OPTIONS = frozenset({"material", "材料", "link", "链接"})
ACTION_OPTIONS = frozenset({"owner", "due", "std", "dept", "phase", "title"})
SERIES_WORDS = frozenset({"series", "all", "全部", "系列", "整个系列", "以后"})


async def _recordable(ctx: Context, number: int, *states: str) -> Meeting:
    meeting = await get_meeting(ctx, number, lock=True)
    await check_recorder(ctx, meeting)
    check_state(ctx, meeting, states or (MeetingStatus.SCHEDULED, MeetingStatus.DONE))
    return meeting


async def add_agenda(ctx: Context, number: int, args: Args) -> None:
    meeting = await _recordable(ctx, number, MeetingStatus.SCHEDULED)
    entry = agenda_from_tokens(args.positional)
    if not entry.title:
        raise UsageError(
            "error.missing_argument", usage=args.usage, what=ctx.t("meeting.item_word")
        )
    links = [args.option(key) for key in sorted(AGENDA_OPTIONS)]
    item = await meetings.add_agenda_item(
        ctx.session,
        AgendaItem(
            meeting_id=id_of(meeting),
            position=0,
            title=entry.title,
            minutes=entry.minutes,
            material=next((link for link in links if link), entry.material),
        ),
    )
    ctx.audit(
        "meeting.agenda",
        "meeting",
        meeting.id,
        number=meeting.number,
        position=item.position,
        title=item.title,
        minutes=item.minutes,
        material=item.material,
    )
    _agenda_reply(ctx, meeting, item)


def _agenda_reply(ctx: Context, meeting: Meeting, item: AgendaItem) -> None:
    box = ctx.t("meeting.minutes_box", minutes=item.minutes) if item.minutes else ""
    msg = ctx.message().section(
        ctx.t(
            "meeting.agenda_added",
            ref=f"M{meeting.number}",
            topic=meeting.topic,
            position=item.position,
            title=item.title,
            box=box,
            material=item.material or "",
        )
    )
    if meeting.agenda_sent_at is not None:
        msg.context(ctx.t("meeting.agenda_already_sent", ref=f"M{meeting.number}"))
    ctx.reply(msg)


async def decide(ctx: Context, number: int, args: Args) -> None:
    meeting = await _recordable(ctx, number)
    text = args.require_text(ctx.t("meeting.decision_word"))
    await meetings.add_decision(
        ctx.session,
        Decision(meeting_id=id_of(meeting), text=text, recorded_by=ctx.actor_id, at=ctx.now_utc()),
    )
    count = len(await meetings.decisions(ctx.session, id_of(meeting)))
    ctx.audit("meeting.decide", "meeting", meeting.id, number=meeting.number, text=text, n=count)
    msg = ctx.message()
    msg.section(
        ctx.t(
            "meeting.decided",
            n=count,
            ref=f"M{meeting.number}",
            topic=meeting.topic,
            text=text,
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
        )
    )
    ctx.reply(msg)


async def action(ctx: Context, number: int, args: Args) -> None:
    meeting = await _recordable(ctx, number)
    title = args.option("title") or args.require_text(ctx.t("task.title_word"))
    for key in ("owner", "due"):
        if not args.option(key):
            raise UsageError(f"error.action_needs_{key}", usage=args.usage)
    now = ctx.now_utc()
    task = Task(
        project_id=meeting.project_id,
        number=0,
        title=title,
        meeting_id=meeting.id,
        created_by=ctx.actor_id,
        created_at=now,
        updated_at=now,
    )
    try:
        await apply_fields(ctx, task, args)
    except UsageError as error:
        raise (error if error.usage else with_usage(error, "meeting.action")) from None
    await tasks.add_task(ctx.session, task)
    _record_task(ctx, meeting, task)
    msg = ctx.message()
    owner = (await common.member_map(ctx, [task.owner_id]))[task.owner_id or 0]
    msg.section(
        ctx.t(
            "meeting.action_added",
            task=f"T{task.number}",
            title=task.title,
            ref=f"M{meeting.number}",
            owner=msg.mention(owner.id, owner.name),
            due=timefmt.moment(ctx, task.due_at, task.due_has_time),
        )
    )
    if task.standard:
        msg.context(ctx.t("meeting.standard", text=task.standard))
    ctx.reply(msg)


def _record_task(ctx: Context, meeting: Meeting, task: Task) -> None:
    """Task history and audit exactly as ``task add`` writes them, plus the meeting's side."""
    ref = f"M{meeting.number}"
    tasks.record_change(
        ctx.session,
        task=task,
        actor_id=ctx.actor_id,
        at=task.created_at,
        field="created",
        old=None,
        new=task.title,
        note=ref,
    )
    ctx.audit("task.create", "task", task.id, number=task.number, title=task.title, meeting=ref)
    ctx.audit(
        "meeting.action",
        "meeting",
        meeting.id,
        number=meeting.number,
        task=f"T{task.number}",
        owner_id=task.owner_id,
        due=task.due_at.isoformat() if task.due_at else None,
        standard=task.standard,
    )


async def minutes(ctx: Context, number: int, args: Args) -> None:
    meeting = await _recordable(ctx, number)
    now = ctx.now_utc()
    if now < meeting.starts_at:
        raise Conflict(
            "error.meeting_not_started",
            ref=f"M{meeting.number}",
            start=timefmt.moment(ctx, meeting.starts_at),
        )
    again = meeting.minutes_published_at is not None
    view = await load(ctx.session, ctx.settings, meeting)
    groups, people = await broadcast(
        ctx, view, lambda locale, zone: minutes_message(view, locale, zone, ctx.now(), again=again)
    )
    meeting.minutes_published_at, meeting.status = now, MeetingStatus.DONE
    ctx.session.add(meeting)
    ctx.audit(
        "meeting.minutes",
        "meeting",
        meeting.id,
        number=meeting.number,
        decisions=len(view.decisions),
        actions=[f"T{t.number}" for t in view.actions],
        groups=groups,
        people=people,
        again=again,
    )
    msg = ctx.message().section(
        ctx.t("meeting.published", ref=view.ref, groups=groups, people=people)
    )
    await _next_occurrence(ctx, meeting, msg)


async def cancel(ctx: Context, number: int, args: Args) -> None:
    meeting = await _recordable(ctx, number, MeetingStatus.SCHEDULED)
    words = [t.text for t in args.positional]
    series = bool(words) and words[0].lower() in SERIES_WORDS and meeting.every_weekday is not None
    reason = " ".join(words[1:] if series else words).strip() or args.option("reason") or ""
    meeting.status = MeetingStatus.CANCELLED
    ctx.session.add(meeting)
    ctx.audit(
        "meeting.cancel", "meeting", meeting.id, number=meeting.number, reason=reason, series=series
    )
    view = await load(ctx.session, ctx.settings, meeting)
    await broadcast(ctx, view, lambda locale, zone: cancel_notice(ctx, view, locale, zone, reason))
    msg = ctx.message()
    if series:
        await _end_series(ctx, meeting)
        msg.section(ctx.t("meeting.series_ended", ref=view.ref, topic=meeting.topic))
        ctx.reply(msg)
    elif meeting.every_weekday is not None:
        await _next_occurrence(ctx, meeting, msg)


async def _end_series(ctx: Context, meeting: Meeting) -> None:
    for later in await meetings.later_in_series(ctx.session, meeting):
        later.status, later.every_weekday = MeetingStatus.CANCELLED, None
        ctx.session.add(later)
        ctx.audit("meeting.cancel", "meeting", later.id, number=later.number, series=True)
    meeting.every_weekday = None
    ctx.session.add(meeting)


async def _next_occurrence(ctx: Context, meeting: Meeting, msg: MessageBuilder) -> None:
    """Create the weekly series' next meeting (if due) and say so under ``msg``."""
    nxt, created = await ensure_next(ctx.session, ctx.settings, meeting, now=ctx.now_utc())
    if nxt is not None:
        zone = await targets.project_zone(ctx.session, ctx.settings, meeting.project_id)
        if created:
            ctx.audit(
                "meeting.create",
                "meeting",
                nxt.id,
                number=nxt.number,
                topic=nxt.topic,
                starts_at=nxt.starts_at.isoformat(),
                series_id=nxt.series_id,
            )
        msg.context(
            ctx.t(
                "meeting.next_occurrence",
                ref=f"M{nxt.number}",
                when=span(ctx.locale, nxt, zone, ctx.now()),
            )
        )
    if not msg.empty:
        ctx.reply(msg)

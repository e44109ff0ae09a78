"""The meeting job (domain §4). At each tick, exactly once per meeting:

- the **agenda** when it is due (3 days before, or at once for a meeting scheduled on shorter
  notice): to every project group and by DM to every attendee, each in their own language and
  time zone (keys ``meeting:{id}:agenda:chat:{chat id}`` / ``…:agenda:dm:{member id}``),
  after each group's and each person's own quiet hours;
- a **start** reminder in the project groups, @-mentioning the people, at once
  (``meeting:{id}:start:{chat id}``; skipped when the tick comes after the meeting ended);
- the **minutes reminder** to the recorder (the organizer when none) 24 h after the meeting
  if the minutes are not published (``meeting:{id}:minutes:dm:{member id}``), after the
  recorder's own quiet hours;
- the next occurrence of a **weekly** meeting once the current one has ended
  (``commands.meetings.facts.ensure_next``).

Each step sets its ``*_at`` column and writes the audit log; each meeting runs in its own
transaction, and a broken one is logged and skipped (``support.each_due``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.outbound.notify import NoticeKey, Render, to_groups, to_person
from bot.scheduler import JobContext
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from commands.meetings.facts import MeetingView, attendees, ensure_next, load
from commands.meetings.messages import agenda_message, minutes_reminder, start_message
from storage.meetings import queries as meetings
from storage.tables import Meeting, MeetingStatus, Member

Finder = Callable[..., Awaitable[Sequence[Meeting]]]
Step = Callable[[AsyncSession, JobContext, Meeting], Awaitable[None]]
Build = Callable[[MeetingView, str, ZoneInfo, datetime], MessageBuilder]


async def run(ctx: JobContext) -> None:
    for finder, step in STEPS:

        async def scan(session: AsyncSession, finder: Finder = finder) -> list[int]:
            return [m.id for m in await finder(session, now=ctx.now) if m.id is not None]

        async def work(session: AsyncSession, meeting_id: int, step: Step = step) -> None:
            # Locked, so a replica running the same step waits and then sees it done.
            meeting = await session.get(Meeting, meeting_id, with_for_update=True)
            if meeting is not None:
                await step(session, ctx, meeting)

        await support.each_due(ctx, f"meeting ({step.__name__})", scan, work)


def _audit(
    ctx: JobContext, session: AsyncSession, meeting: Meeting, action: str, **detail: object
) -> None:
    support.audit(
        ctx,
        session,
        project_id=meeting.project_id,
        action=action,
        entity="meeting",
        entity_id=meeting.id,
        number=meeting.number,
        **detail,
    )


async def send_agenda(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.agenda_sent_at is not None or meeting.status != MeetingStatus.SCHEDULED:
        return  # another replica, or a cancellation, came first
    view = await load(session, ctx.settings, meeting)
    render = _renderer(agenda_message, view, ctx)
    key = NoticeKey(f"meeting:{meeting.id}:agenda")
    invited = await attendees(session, view)
    await to_groups(
        session,
        ctx.settings,
        project_id=meeting.project_id,
        key=key,
        render=render,
        now=ctx.now,
        ping=True,
        concerns=[m.id for m in invited],
    )
    people = 0
    for member in invited:
        people += await to_person(
            session, ctx.settings, member=member, key=key, render=render, now=ctx.now
        )
    meeting.agenda_sent_at = ctx.now
    session.add(meeting)
    _audit(ctx, session, meeting, "meeting.agenda_sent", people=people)


def _renderer(build: Build, view: MeetingView, ctx: JobContext) -> Render:
    def render(locale: str, zone: ZoneInfo) -> Message:
        return build(view, locale, zone, ctx.now).build()

    return render


async def announce_start(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.start_reminded_at is not None or meeting.status != MeetingStatus.SCHEDULED:
        return
    late = ctx.now >= meetings.ends_at(meeting)  # after downtime: a "starts now" would mislead
    if not late:
        view = await load(session, ctx.settings, meeting)
        await to_groups(
            session,
            ctx.settings,
            project_id=meeting.project_id,
            key=NoticeKey(f"meeting:{meeting.id}:start", tag_groups=False),
            render=_renderer(start_message, view, ctx),
            now=ctx.now,
            ping=False,  # it is the meeting's moment, whatever the hour
            concerns=[m.id for m in await attendees(session, view)],
        )
    meeting.start_reminded_at = ctx.now
    session.add(meeting)
    _audit(ctx, session, meeting, "meeting.start_reminded", skipped=late)


async def remind_minutes(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.minutes_reminded_at is not None or meeting.minutes_published_at is not None:
        return
    recorder_id = meeting.recorder_id or meeting.organizer_id
    recorder = await session.get(Member, recorder_id) if recorder_id else None
    if recorder is not None:
        view = await load(session, ctx.settings, meeting)
        await to_person(
            session,
            ctx.settings,
            member=recorder,
            key=NoticeKey(f"meeting:{meeting.id}:minutes"),
            render=_renderer(minutes_reminder, view, ctx),
            now=ctx.now,
        )
    meeting.minutes_reminded_at = ctx.now
    session.add(meeting)
    _audit(ctx, session, meeting, "meeting.minutes_reminded", recorder_id=recorder_id)


async def continue_series(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.SCHEDULED or meetings.ends_at(meeting) > ctx.now:
        return
    nxt, created = await ensure_next(session, ctx.settings, meeting, now=ctx.now)
    if nxt is not None and created:
        _audit_next(ctx, session, meeting, nxt)


def _audit_next(ctx: JobContext, session: AsyncSession, meeting: Meeting, nxt: Meeting) -> None:
    support.audit(
        ctx,
        session,
        project_id=nxt.project_id,
        action="meeting.create",
        entity="meeting",
        entity_id=nxt.id,
        number=nxt.number,
        topic=nxt.topic,
        starts_at=nxt.starts_at.isoformat(),
        series_id=nxt.series_id,
        after=f"M{meeting.number}",
    )


STEPS: tuple[tuple[Finder, Step], ...] = (
    (meetings.agenda_due, send_agenda),
    (meetings.start_due, announce_start),
    (meetings.minutes_due, remind_minutes),
    (meetings.ended_recurring, continue_series),
)

"""The meeting job (domain §4). At each tick, exactly once per meeting:

- the **agenda** when it is due (3 days before, or at once for a meeting scheduled on shorter
  notice): to every project group and by DM to every attendee, each in their own language and
  time zone (keys ``meeting:{id}:agenda:chat:{chat id}`` / ``…:agenda:dm:{member id}``);
- a **start** reminder in the project groups, @-mentioning the people
  (``meeting:{id}:start:{chat id}``; skipped when the tick comes after the meeting ended);
- the **minutes reminder** to the recorder (the organizer when none) 24 h after the meeting
  if the minutes are not published (``meeting:{id}:minutes``; the recipient's quiet hours are
  respected);
- the next occurrence of a **weekly** meeting once the current one has ended
  (``bot.meetings.ensure_next``).

Each step sets its ``*_at`` column and writes the audit log; each meeting runs in its own
transaction, so one failure does not hold back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import targets
from bot.approvals import approver_zone
from bot.meeting_messages import agenda_message, minutes_reminder, start_message
from bot.meetings import MeetingView, attendees, ensure_next, load
from bot.notify import quiet_until, send_once
from bot.scheduler import JobContext
from storage import audit, meetings
from storage.db import transaction
from storage.tables import Meeting, Member

logger = logging.getLogger("concord.jobs.meetings")

Finder = Callable[..., Awaitable[Sequence[Meeting]]]
Step = Callable[[AsyncSession, JobContext, Meeting], Awaitable[None]]


async def run(ctx: JobContext) -> None:
    for finder, step in STEPS:
        async with transaction(ctx.sessions) as session:
            due = [m.id for m in await finder(session, now=ctx.now) if m.id is not None]
        for meeting_id in due:
            try:
                async with transaction(ctx.sessions) as session:
                    # Locked, so a replica running the same step waits and then sees it done.
                    meeting = await session.get(Meeting, meeting_id, with_for_update=True)
                    if meeting is not None:
                        await step(session, ctx, meeting)
            except Exception:
                logger.exception("meeting %s: %s failed", meeting_id, step.__name__)


def _audit(
    ctx: JobContext, session: AsyncSession, meeting: Meeting, action: str, **detail: object
) -> None:
    audit.record(
        session,
        at=ctx.now,
        actor_id=None,
        platform=None,
        project_id=meeting.project_id,
        action=action,
        entity="meeting",
        entity_id=meeting.id,
        number=meeting.number,
        **detail,
    )


async def send_agenda(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.agenda_sent_at is not None or meeting.status != meetings.SCHEDULED:
        return  # another replica, or a cancellation, came first
    view = await load(session, ctx.settings, meeting)
    for target, chat in await targets.project_groups(session, meeting.project_id):
        locale, zone = (
            targets.chat_locale(ctx.settings, chat),
            targets.chat_zone(ctx.settings, chat),
        )
        await send_once(
            session,
            key=f"meeting:{meeting.id}:agenda:chat:{chat.id}",
            target=target,
            message=agenda_message(view, locale, zone, ctx.now).build(),
            now=ctx.now,
            not_before=quiet_until(
                ctx.now, zone, chat.quiet_hours or ctx.settings.schedule.quiet_hours
            ),
        )
    people = 0
    for member in await attendees(session, view):
        people += await _dm_agenda(session, ctx, view, member)
    meeting.agenda_sent_at = ctx.now
    session.add(meeting)
    _audit(ctx, session, meeting, "meeting.agenda_sent", people=people)


async def _dm_agenda(
    session: AsyncSession, ctx: JobContext, view: MeetingView, member: Member
) -> int:
    target = await targets.dm_target(session, member)
    if target is None:
        return 0
    locale = targets.member_locale(ctx.settings, member, target.platform)
    zone = await approver_zone(session, ctx.settings, member)
    sent = await send_once(
        session,
        key=f"meeting:{view.meeting.id}:agenda:dm:{member.id}",
        target=target,
        message=agenda_message(view, locale, zone, ctx.now).build(),
        now=ctx.now,
        not_before=quiet_until(ctx.now, zone, ctx.settings.schedule.quiet_hours),
    )
    return int(sent)


async def announce_start(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.start_reminded_at is not None or meeting.status != meetings.SCHEDULED:
        return
    late = ctx.now >= meetings.ends_at(meeting)  # after downtime: a "starts now" would mislead
    if not late:
        view = await load(session, ctx.settings, meeting)
        for target, chat in await targets.project_groups(session, meeting.project_id):
            locale, zone = (
                targets.chat_locale(ctx.settings, chat),
                targets.chat_zone(ctx.settings, chat),
            )
            await send_once(
                session,
                key=f"meeting:{meeting.id}:start:{chat.id}",
                target=target,
                message=start_message(view, locale, zone, ctx.now).build(),
                now=ctx.now,
            )
    meeting.start_reminded_at = ctx.now
    session.add(meeting)
    _audit(ctx, session, meeting, "meeting.start_reminded", skipped=late)


async def remind_minutes(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.minutes_reminded_at is not None or meeting.minutes_published_at is not None:
        return
    recorder_id = meeting.recorder_id or meeting.organizer_id
    recorder = await session.get(Member, recorder_id) if recorder_id else None
    target = await targets.dm_target(session, recorder) if recorder else None
    if recorder is not None and target is not None:
        view = await load(session, ctx.settings, meeting)
        zone = await approver_zone(session, ctx.settings, recorder)
        locale = targets.member_locale(ctx.settings, recorder, target.platform)
        await send_once(
            session,
            key=f"meeting:{meeting.id}:minutes",
            target=target,
            message=minutes_reminder(view, locale, zone, ctx.now).build(),
            now=ctx.now,
            not_before=quiet_until(ctx.now, zone, ctx.settings.schedule.quiet_hours),
        )
    meeting.minutes_reminded_at = ctx.now
    session.add(meeting)
    _audit(ctx, session, meeting, "meeting.minutes_reminded", recorder_id=recorder_id)


async def continue_series(session: AsyncSession, ctx: JobContext, meeting: Meeting) -> None:
    if meeting.status != meetings.SCHEDULED or meetings.ends_at(meeting) > ctx.now:
        return
    nxt, created = await ensure_next(session, ctx.settings, meeting, now=ctx.now)
    if nxt is not None and created:
        _audit_next(ctx, session, meeting, nxt)


def _audit_next(ctx: JobContext, session: AsyncSession, meeting: Meeting, nxt: Meeting) -> None:
    audit.record(
        session,
        at=ctx.now,
        actor_id=None,
        platform=None,
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

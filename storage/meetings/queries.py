"""Meetings: numbering, participants, agenda items, decisions, action items (tasks with a
``meeting_id``), the scheduler's scans and weekly series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.projects.numbering import next_number
from storage.rows import id_of, lock_id
from storage.tables import AgendaItem, Decision, Meeting, MeetingParticipant, MeetingStatus, Task

AGENDA_LEAD = timedelta(days=3)  # the agenda goes out 3 days before (domain §4)
MINUTES_WITHIN = timedelta(hours=24)  # minutes are due 24 h after the meeting ends


def ends_at(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


def set_due_times(meeting: Meeting) -> None:
    """Store when the scheduler owes the agenda and the minutes reminder."""
    meeting.agenda_due_at = meeting.starts_at - AGENDA_LEAD
    meeting.minutes_due_at = ends_at(meeting) + MINUTES_WITHIN


async def add_meeting(session: AsyncSession, meeting: Meeting) -> Meeting:
    """Number ``meeting`` within its project (M1, M2 …), store it and its due times."""
    meeting.number = await next_number(session, Meeting, meeting.project_id)
    set_due_times(meeting)
    session.add(meeting)
    await session.flush()
    return meeting


async def meeting_by_number(
    session: AsyncSession, *, project_id: int, number: int
) -> Meeting | None:
    query = select(Meeting).where(Meeting.project_id == project_id, Meeting.number == number)
    return (await session.exec(query)).first()


async def upcoming(
    session: AsyncSession, *, project_id: int, now: datetime, until: datetime | None = None
) -> list[Meeting]:
    """Scheduled meetings of the project that have not ended yet, soonest first."""
    query = select(Meeting).where(
        Meeting.project_id == project_id,
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.starts_at) > now - timedelta(days=1),
    )
    if until is not None:
        query = query.where(col(Meeting.starts_at) < until)
    rows = (await session.exec(query.order_by(col(Meeting.starts_at), col(Meeting.id)))).all()
    return [m for m in rows if ends_at(m) > now]


async def awaiting_minutes(
    session: AsyncSession, *, project_id: int, now: datetime
) -> list[Meeting]:
    """Meetings that took place and still owe their minutes."""
    query = select(Meeting).where(
        Meeting.project_id == project_id,
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.minutes_published_at).is_(None),
        col(Meeting.starts_at) < now,
    )
    rows = (await session.exec(query.order_by(col(Meeting.starts_at)))).all()
    return [m for m in rows if ends_at(m) <= now]


async def minutes_owed_by(session: AsyncSession, *, member_id: int, now: datetime) -> list[Meeting]:
    """Held meetings recorded by ``member_id`` whose minutes are not published, oldest first."""
    query = select(Meeting).where(
        Meeting.recorder_id == member_id,
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.minutes_published_at).is_(None),
        col(Meeting.starts_at) < now,
    )
    rows = (await session.exec(query.order_by(col(Meeting.starts_at)))).all()
    return [m for m in rows if ends_at(m) <= now]


# --- participants, agenda, decisions, action items ------------------------------------------


async def participants(session: AsyncSession, meeting_id: int) -> Sequence[MeetingParticipant]:
    query = select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting_id)
    return (await session.exec(query.order_by(col(MeetingParticipant.id)))).all()


async def add_participant(
    session: AsyncSession,
    *,
    meeting_id: int,
    member_id: int | None = None,
    department_id: int | None = None,
) -> None:
    """Add a person or a department once (repeats are ignored)."""
    for row in await participants(session, meeting_id):
        if (row.member_id, row.department_id) == (member_id, department_id):
            return
    session.add(
        MeetingParticipant(meeting_id=meeting_id, member_id=member_id, department_id=department_id)
    )
    await session.flush()


async def agenda(session: AsyncSession, meeting_id: int) -> Sequence[AgendaItem]:
    query = select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
    return (await session.exec(query.order_by(col(AgendaItem.position)))).all()


async def add_agenda_item(session: AsyncSession, item: AgendaItem) -> AgendaItem:
    """Append ``item`` after the meeting's last agenda item."""
    query = select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == item.meeting_id)
    item.position = int((await session.exec(query)).one() or 0) + 1
    session.add(item)
    await session.flush()
    return item


async def decisions(session: AsyncSession, meeting_id: int) -> Sequence[Decision]:
    query = select(Decision).where(Decision.meeting_id == meeting_id)
    return (await session.exec(query.order_by(col(Decision.id)))).all()


async def add_decision(session: AsyncSession, decision: Decision) -> Decision:
    session.add(decision)
    await session.flush()
    return decision


async def action_items(session: AsyncSession, meeting_id: int) -> Sequence[Task]:
    """The project tasks created as this meeting's action items."""
    query = select(Task).where(Task.meeting_id == meeting_id).order_by(col(Task.number))
    return (await session.exec(query)).all()


# --- the scheduler's scans ---------------------------------------------------------------------


async def agenda_due(session: AsyncSession, *, now: datetime) -> Sequence[Meeting]:
    """Scheduled meetings whose agenda is due and not sent, and that have not started."""
    query = select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.agenda_due_at) <= now,
        col(Meeting.agenda_sent_at).is_(None),
        col(Meeting.starts_at) > now,
    )
    return (await session.exec(query.order_by(col(Meeting.id)))).all()


async def start_due(session: AsyncSession, *, now: datetime) -> Sequence[Meeting]:
    """Scheduled meetings that have started and were not announced yet."""
    query = select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.starts_at) <= now,
        col(Meeting.start_reminded_at).is_(None),
    )
    return (await session.exec(query.order_by(col(Meeting.id)))).all()


async def minutes_due(session: AsyncSession, *, now: datetime) -> Sequence[Meeting]:
    """Held meetings past their minutes deadline, without minutes and not reminded."""
    query = select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.minutes_due_at) <= now,
        col(Meeting.minutes_published_at).is_(None),
        col(Meeting.minutes_reminded_at).is_(None),
    )
    return (await session.exec(query.order_by(col(Meeting.id)))).all()


async def ended_recurring(session: AsyncSession, *, now: datetime) -> list[Meeting]:
    """Weekly meetings that have ended, still await their minutes, and have no next occurrence
    yet (publishing or cancelling creates it at once, so those are not looked at)."""
    later = aliased(Meeting)
    has_next = (
        sa_select(col(later.id))
        .where(col(later.series_id) == Meeting.series_id, col(later.starts_at) > Meeting.starts_at)
        .exists()
    )
    query = select(Meeting).where(
        col(Meeting.every_weekday).is_not(None),
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.starts_at) <= now,
        ~has_next,
    )
    rows = (await session.exec(query.order_by(col(Meeting.id)))).all()
    return [m for m in rows if ends_at(m) <= now]


# --- weekly series -------------------------------------------------------------------------------


def series_of(meeting: Meeting) -> int:
    return meeting.series_id or id_of(meeting)


async def lock(session: AsyncSession, meeting_id: int) -> None:
    """Hold ``meeting``'s row until the transaction ends (``storage.rows.lock_id``), so that
    two writers continuing one series take turns and the second sees the first's successor."""
    await lock_id(session, Meeting, meeting_id)


async def successor(session: AsyncSession, meeting: Meeting) -> Meeting | None:
    """The next meeting of ``meeting``'s weekly series, if it exists already."""
    query = select(Meeting).where(
        Meeting.series_id == series_of(meeting), col(Meeting.starts_at) > meeting.starts_at
    )
    return (await session.exec(query.order_by(col(Meeting.starts_at)))).first()


async def later_in_series(session: AsyncSession, meeting: Meeting) -> Sequence[Meeting]:
    """The scheduled meetings of the series from ``meeting`` on (itself included)."""
    query = select(Meeting).where(
        Meeting.series_id == series_of(meeting),
        col(Meeting.starts_at) >= meeting.starts_at,
        Meeting.status == MeetingStatus.SCHEDULED,
    )
    return (await session.exec(query.order_by(col(Meeting.starts_at)))).all()


async def add_occurrence(
    session: AsyncSession, meeting: Meeting, *, starts_at: datetime, now: datetime
) -> Meeting:
    """The next meeting of the series at ``starts_at``: same topic, length, people and standing
    agenda (decisions and action items stay with the meeting that made them)."""
    nxt = Meeting(
        project_id=meeting.project_id,
        number=0,
        topic=meeting.topic,
        starts_at=starts_at,
        duration_minutes=meeting.duration_minutes,
        organizer_id=meeting.organizer_id,
        recorder_id=meeting.recorder_id,
        every_weekday=meeting.every_weekday,
        series_id=series_of(meeting),
        created_at=now,
    )
    await add_meeting(session, nxt)
    next_id = id_of(nxt)
    for row in await participants(session, id_of(meeting)):
        session.add(
            MeetingParticipant(
                meeting_id=next_id, member_id=row.member_id, department_id=row.department_id
            )
        )
    for item in await agenda(session, id_of(meeting)):
        session.add(
            AgendaItem(
                meeting_id=next_id,
                position=item.position,
                title=item.title,
                minutes=item.minutes,
                material=item.material,
            )
        )
    await session.flush()
    return nxt

"""Meeting facts shared by the ``meeting`` commands and the meeting job: who takes part (and
in which time zone), the project's zone, and the weekly series.

Weekly series: a recurring meeting exists one occurrence at a time. The next occurrence is
created when the current one has ended (by the job) or when its minutes are published or it
is cancelled (by the command) — whichever comes first; ``ensure_next`` makes that idempotent.
It is the first weekly slot (same weekday and wall time in the project's zone) that is still
ahead, so a meeting whose minutes come late never spawns occurrences in the past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbound import targets
from bot.settings import Settings
from storage.meetings import queries as meetings
from storage.people import queries as people
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import AgendaItem, Decision, Department, Meeting, Member, Project, Task


@dataclass
class MeetingView:
    """A meeting with everything its messages show, loaded once."""

    meeting: Meeting
    project: Project
    members: dict[int, Member]  # organizer, recorder, participants, owners of action items
    person_ids: list[int]  # participating people, in the order they were added
    departments: list[Department]  # participating departments
    agenda: list[AgendaItem]
    decisions: list[Decision]
    actions: list[Task]
    zones: dict[str, ZoneInfo] = field(default_factory=dict)  # "@name" / dept name → zone

    @property
    def ref(self) -> str:
        return f"M{self.meeting.number}"

    def name(self, member_id: int | None) -> str | None:
        member = self.members.get(member_id or 0)
        return member.name if member else None


async def load(session: AsyncSession, settings: Settings, meeting: Meeting) -> MeetingView:
    meeting_id = id_of(meeting)
    rows = await meetings.participants(session, meeting_id)
    actions = list(await meetings.action_items(session, meeting_id))
    person_ids = [r.member_id for r in rows if r.member_id is not None]
    wanted = {
        meeting.organizer_id,
        meeting.recorder_id,
        *person_ids,
        *(t.owner_id for t in actions),
    }
    members = await people.members_by_ids(session, {i for i in wanted if i is not None})
    dept_ids = [r.department_id for r in rows if r.department_id is not None]
    by_id = await people.departments_by_ids(session, set(dept_ids))
    project = await projects.get_project(session, meeting.project_id)
    assert project is not None
    view = MeetingView(
        meeting=meeting,
        project=project,
        members=members,
        person_ids=person_ids,
        departments=[by_id[i] for i in dept_ids if i in by_id],
        agenda=list(await meetings.agenda(session, meeting_id)),
        decisions=list(await meetings.decisions(session, meeting_id)),
        actions=actions,
    )
    await _fill_zones(session, settings, view)
    return view


async def _fill_zones(session: AsyncSession, settings: Settings, view: MeetingView) -> None:
    ids = [view.meeting.organizer_id, view.meeting.recorder_id, *view.person_ids]
    for member_id in dict.fromkeys(i for i in ids if i is not None):
        if member_id in view.members:
            member = view.members[member_id]
            view.zones["@" + member.name] = await targets.person_zone(session, settings, member)
    for department in view.departments:
        view.zones[department.name] = ZoneInfo(department.timezone or settings.timezone)


async def attendees(session: AsyncSession, view: MeetingView) -> list[Member]:
    """The people to tell: organizer, recorder, participants, and for each participating
    department its leader and project contact (all its members when it has neither)."""
    ids = [view.meeting.organizer_id, view.meeting.recorder_id, *view.person_ids]
    links = await projects.project_departments(session, id_of(view.project))
    contacts = {link.department_id: link.contact_id for link in links}
    for department in view.departments:
        reps = [department.leader_id, contacts.get(id_of(department))]
        if any(reps):
            ids += reps
        else:
            ids += [m.id for m in await people.department_members(session, id_of(department))]
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    found = await people.members_by_ids(session, set(wanted))
    return [found[i] for i in wanted if i in found]


def other_zones(view: MeetingView, zone: ZoneInfo) -> list[tuple[ZoneInfo, list[str]]]:
    """The participants' zones other than ``zone`` (compared by offset at the meeting time),
    each with who is in it."""
    at = view.meeting.starts_at
    groups: dict[str, tuple[ZoneInfo, list[str]]] = {}
    for who, their in view.zones.items():
        if at.astimezone(their).utcoffset() == at.astimezone(zone).utcoffset():
            continue
        groups.setdefault(their.key, (their, []))[1].append(who)
    return list(groups.values())


# --- weekly series --------------------------------------------------------------------------


def next_slot(meeting: Meeting, zone: ZoneInfo, *, after: datetime) -> datetime:
    """The first weekly slot of ``meeting``'s series later than both its start and ``after``."""
    assert meeting.every_weekday is not None
    local = meeting.starts_at.astimezone(zone)
    day = local.date() + timedelta(days=1)
    while True:
        if day.weekday() == meeting.every_weekday:
            candidate = _at(day, local, zone)
            if candidate > after:
                return candidate
            day += timedelta(days=7)
        else:
            day += timedelta(days=1)


def _at(day: date, wall: datetime, zone: ZoneInfo) -> datetime:
    moment = datetime.combine(day, wall.time(), tzinfo=zone)
    return moment.astimezone(UTC)  # a wall time in a DST gap lands on a real instant


async def ensure_next(
    session: AsyncSession, settings: Settings, meeting: Meeting, *, now: datetime
) -> tuple[Meeting | None, bool]:
    """The series' next occurrence, created if missing: ``(meeting, created)``.

    ``(None, False)`` for a one-off meeting.
    """
    if meeting.every_weekday is None or meeting.id is None:
        return None, False
    await meetings.lock(session, meeting.id)
    existing = await meetings.successor(session, meeting)
    if existing is not None:
        return existing, False
    zone = await targets.project_zone(session, settings, meeting.project_id)
    starts_at = next_slot(meeting, zone, after=now)
    return await meetings.add_occurrence(session, meeting, starts_at=starts_at, now=now), True

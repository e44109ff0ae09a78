"""The escalation ladder (domain §5), shared by the ``escalate`` command and scheduled jobs.

L1: the people involved and their department leader, 24 h. L2: the project owner/PM (and
coordinator), 48 h. L3: the sponsor, 3 working days, then one reminder per working day.
One item has at most one open escalation: a second trigger adds a note. Announcements go to
the project groups through ``bot.notify.to_groups`` so restarts and replicas never repeat
one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import targets
from bot.clock import to_aware_utc
from bot.i18n import t
from bot.messages import Message
from bot.notify import NoticeKey, to_groups
from bot.render import MessageBuilder
from bot.settings import Settings
from bot.workdays import WorkCalendar
from storage import audit, people, projects, rows, schedule
from storage import escalations as store
from storage.numbering import next_number
from storage.rows import id_of
from storage.tables import (
    CharterStatus,
    Department,
    Escalation,
    EscalationStatus,
    Issue,
    IssueStatus,
    Member,
    Project,
    RequestStatus,
    ResourceRequest,
    Task,
    TaskStatus,
)

Reason = Callable[[str, ZoneInfo], str]  # (locale, zone) → a job's reason, for one reader
LEVEL_HOURS = {1: 24, 2: 48}
L3_WORKING_DAYS = 3
PREFIX = {"task": "T", "issue": "I", "request": "R", "charter": "P"}


def subject_ref(subject_type: str, number: int) -> str:
    return f"{PREFIX[subject_type]}{number}"


def level_deadline(
    level: int, start: datetime, *, calendar: WorkCalendar, settings: Settings
) -> datetime:
    if level in LEVEL_HOURS:
        return start + timedelta(hours=LEVEL_HOURS[level])
    zone = ZoneInfo(settings.timezone)
    return calendar.add_working_time(start.astimezone(zone), L3_WORKING_DAYS).astimezone(
        start.tzinfo
    )


async def open_or_note(
    session: AsyncSession,
    *,
    settings: Settings,
    calendar: WorkCalendar,
    project_id: int,
    subject_type: str,
    subject_id: int,
    reason: str,
    now: datetime,
    opened_by: int | None,
    reason_for: Reason | None = None,
) -> tuple[Escalation, bool]:
    """Open an L1 escalation on an item, or note a repeated trigger on the open one.

    Returns ``(escalation, created)``; a new one is announced in the project groups (with
    ``reason_for``, a job's reason worded for each group; ``reason`` is the one kept). The
    project is held first, so two triggers at once (two replicas) open one escalation and
    the second notes on it.
    """
    await rows.lock_id(session, Project, project_id)
    existing = await store.open_for(session, subject_type=subject_type, subject_id=subject_id)
    if existing is not None:
        stamp = f"{now.astimezone(ZoneInfo(settings.timezone)):%Y-%m-%d %H:%M} {reason}"
        existing.notes = f"{existing.notes}\n{stamp}" if existing.notes else stamp
        session.add(existing)
        return existing, False
    escalation = Escalation(
        project_id=project_id,
        number=await next_number(session, Escalation, project_id),
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason,
        level=1,
        opened_by=opened_by,
        opened_at=now,
        level_started_at=now,
        next_level_at=level_deadline(1, now, calendar=calendar, settings=settings),
    )
    session.add(escalation)
    await session.flush()
    _audit(
        session,
        escalation,
        "escalation.open",
        now=now,
        by=opened_by,
        subject=f"{subject_type}:{subject_id}",
        reason=reason,
    )
    # Someone who opens one by hand is awake and wants it seen; a job's waits for the day.
    await announce(
        session,
        settings=settings,
        escalation=escalation,
        now=now,
        ping=opened_by is None,
        reason_for=reason_for,
    )
    return escalation, True


async def resolve_subject(
    session: AsyncSession, *, subject_type: str, subject_id: int, now: datetime, by: int | None
) -> Escalation | None:
    """Close the open escalation of an item that got resolved (no-op when there is none)."""
    escalation = await store.open_for(session, subject_type=subject_type, subject_id=subject_id)
    if escalation is not None:
        await resolve(session, escalation=escalation, now=now, by=by)
    return escalation


async def resolve(
    session: AsyncSession, *, escalation: Escalation, now: datetime, by: int | None
) -> None:
    escalation.status, escalation.resolved_at, escalation.resolved_by = (
        EscalationStatus.RESOLVED,
        now,
        by,
    )
    escalation.next_level_at = None
    session.add(escalation)
    _audit(session, escalation, "escalation.resolve", now=now, by=by, level=escalation.level)


def _audit(
    session: AsyncSession,
    escalation: Escalation,
    action: str,
    *,
    now: datetime,
    by: int | None,
    **detail: object,
) -> None:
    audit.record(
        session,
        at=now,
        actor_id=by,
        platform=None,
        project_id=escalation.project_id,
        action=action,
        entity="escalation",
        entity_id=escalation.id,
        **detail,
    )


async def due_ids(session: AsyncSession, *, now: datetime) -> list[int]:
    """The open escalations whose level time has run out."""
    return [e.id for e in await store.due(session, now=now) if e.id is not None]


async def advance(
    session: AsyncSession,
    *,
    settings: Settings,
    calendar: WorkCalendar,
    escalation_id: int,
    now: datetime,
) -> bool:
    """Move one escalation whose level time ran out; True when it was announced.

    After downtime an escalation climbs straight to the level it should be at and is
    announced once, at that level. The row is claimed (``SKIP LOCKED``) and re-checked, so
    replicas split the due escalations and never move one twice.
    """
    escalation = await schedule.claim(session, Escalation, escalation_id)
    if (
        escalation is None
        or escalation.status != EscalationStatus.OPEN
        or not _due(escalation, now)
    ):
        return False
    subject = await store.subject(session, escalation.subject_type, escalation.subject_id)
    if subject is None or _subject_closed(subject):
        await resolve(session, escalation=escalation, now=now, by=None)
        return False
    if escalation.level < 3:
        _climb(escalation, now, calendar=calendar, settings=settings)
        _audit(session, escalation, "escalation.level", now=now, by=None, level=escalation.level)
    else:
        escalation.last_reminded_at = now
        escalation.next_level_at = _next_working_moment(now, calendar, settings)
    session.add(escalation)
    return await announce(session, settings=settings, escalation=escalation, now=now, ping=True)


def _due(escalation: Escalation, now: datetime) -> bool:
    due = escalation.next_level_at
    return due is not None and to_aware_utc(due) <= now


def _climb(
    escalation: Escalation, now: datetime, *, calendar: WorkCalendar, settings: Settings
) -> None:
    while (
        escalation.level < 3
        and escalation.next_level_at is not None
        and to_aware_utc(escalation.next_level_at) <= now
    ):
        escalation.level += 1
        escalation.level_started_at = to_aware_utc(escalation.next_level_at)
        escalation.next_level_at = level_deadline(
            escalation.level, escalation.level_started_at, calendar=calendar, settings=settings
        )


def _next_working_moment(now: datetime, calendar: WorkCalendar, settings: Settings) -> datetime:
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    return calendar.add_working_time(local, 1).astimezone(now.tzinfo)


def _subject_closed(subject: store.Subject) -> bool:
    if isinstance(subject, Project):
        return subject.charter_status != CharterStatus.PENDING
    return subject.status in (
        TaskStatus.DONE,
        IssueStatus.CLOSED,
        RequestStatus.CLOSED,
        RequestStatus.REJECTED,
        RequestStatus.WITHDRAWN,
    )


def describe(subject: store.Subject | None) -> tuple[int, str]:
    """(number, title) of an escalated item for the announcement."""
    if isinstance(subject, Task | Issue):
        return subject.number, subject.title
    if isinstance(subject, ResourceRequest):
        return subject.number, subject.description
    if isinstance(subject, Project):
        return id_of(subject), subject.name
    return 0, ""


async def level_people(session: AsyncSession, escalation: Escalation) -> list[Member]:
    """Who answers at the escalation's current level, resolved from roles and RACI."""
    project = await projects.get_project(session, escalation.project_id)
    ids: list[int | None] = []
    if escalation.level == 1:
        ids = await _involved(session, escalation)
    elif escalation.level == 2 and project is not None:
        ids = [
            project.owner_id,
            *[r.member_id for r in await projects.roles(session, id_of(project)) if r.role == "pm"],
            project.coordinator_id,
        ]
    elif project is not None:
        ids = [project.sponsor_id or project.owner_id]
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    found = await people.members_by_ids(session, set(wanted))
    return [found[i] for i in wanted if i in found]


async def _involved(session: AsyncSession, escalation: Escalation) -> list[int | None]:
    subject = await store.subject(session, escalation.subject_type, escalation.subject_id)
    ids: list[int | None] = []
    department_id: int | None = None
    if isinstance(subject, Task):
        ids = [subject.owner_id, *await store.responsible_members(session, id_of(subject))]
        department_id = subject.department_id
    elif isinstance(subject, Issue):
        ids = [subject.owner_id]
        department_id = subject.primary_department_id
    elif isinstance(subject, ResourceRequest):
        ids = [
            *await store.pending_approvers(
                session, subject_type="request", subject_id=id_of(subject)
            ),
            subject.requester_id,
        ]
        department_id = subject.owner_department_id
    elif isinstance(subject, Project):
        ids = list(
            await store.pending_approvers(
                session, subject_type="charter", subject_id=id_of(subject)
            )
        )
    if department_id is not None:
        department = await session.get(Department, department_id)
        ids.append(department.leader_id if department else None)
    if not [i for i in ids if i]:
        project = await session.get(Project, escalation.project_id)
        ids.append(project.owner_id if project else None)
    return ids


async def announce(
    session: AsyncSession,
    *,
    settings: Settings,
    escalation: Escalation,
    now: datetime,
    ping: bool,
    reason_for: Reason | None = None,
) -> bool:
    """Post the escalation at its current level into the project groups, once per key.

    Keys: ``escalation:{id}:L{level}:{chat id}``; L3's daily reminders add the project's
    local date, ``escalation:{id}:L3:{date}:{chat id}``. A ``ping`` waits out each group's
    quiet hours.
    """
    subject = await store.subject(session, escalation.subject_type, escalation.subject_id)
    number, title = describe(subject)
    who = await level_people(session, escalation)
    base = f"escalation:{escalation.id}:L{escalation.level}"
    if escalation.level == 3 and escalation.last_reminded_at is not None:
        _, zone = await targets.project_voice(session, settings, escalation.project_id)
        base = f"{base}:{now.astimezone(zone):%Y-%m-%d}"

    def render(locale: str, zone: ZoneInfo) -> Message:
        msg = MessageBuilder()
        due = escalation.next_level_at
        msg.section(
            t(
                locale,
                f"escalation.level_{escalation.level}",
                ref=f"E{escalation.number}",
                subject=subject_ref(escalation.subject_type, number),
                title=title,
                reason=reason_for(locale, zone) if reason_for else escalation.reason,
                people=" ".join(msg.mention(m.id, m.name) for m in who) or "—",
                due=to_aware_utc(due).astimezone(zone).strftime("%m-%d %H:%M") if due else "—",
            )
        )
        return msg.build()

    sent = await to_groups(
        session,
        settings,
        project_id=escalation.project_id,
        key=NoticeKey(base, tag_groups=False),
        render=render,
        now=now,
        ping=ping,
        concerns=[m.id for m in who] + await _involved(session, escalation),
    )
    return sent > 0

"""The escalation ladder (domain §5), shared by the ``escalate`` command and scheduled jobs.

L1: the people involved and their department leader, 24 h. L2: the project owner/PM (and
coordinator), 48 h. L3: the sponsor, 3 working days, then one reminder per working day.
One item has at most one open escalation: a second trigger adds a note. Announcements go to
the project groups through ``bot.outbound.notify.to_groups`` so restarts and replicas never repeat
one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_aware_utc
from bot.dates.workdays import WorkCalendar
from bot.outbound import targets
from bot.scheduler import JobContext
from bot.settings import Settings
from commands.escalations.announce import Reason, announce
from storage import rows, schedule
from storage.audit import queries as audit
from storage.escalations import queries as store
from storage.projects.numbering import next_number
from storage.tables import (
    CharterStatus,
    Escalation,
    EscalationStatus,
    IssueStatus,
    Project,
    RequestStatus,
    TaskStatus,
)

LEVEL_HOURS = {1: 24, 2: 48}
L3_WORKING_DAYS = 3


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


async def escalate(
    session: AsyncSession,
    ctx: JobContext,
    *,
    project_id: int,
    subject_type: str,
    subject_id: int,
    reason: Reason,
) -> None:
    """Open the item's escalation (or note on the open one). The opening post words
    ``reason`` for each group; the row keeps it in the project's own language and zone
    (``targets.project_voice``), which later levels show."""
    locale, zone = await targets.project_voice(session, ctx.settings, project_id)
    await open_or_note(
        session,
        settings=ctx.settings,
        calendar=ctx.calendar,
        project_id=project_id,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason(locale, zone),
        now=ctx.now,
        opened_by=None,
        reason_for=reason,
    )

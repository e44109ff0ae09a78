"""Who hears about an escalation and what they read: the item it is about, the people of
its level, and the announcement in the project groups (keyed, so it is posted once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_aware_utc
from bot.outbound import targets
from bot.outbound.notify import NoticeKey, to_groups
from bot.settings import Settings
from bot.text.i18n import t
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from storage.escalations import queries as store
from storage.people import queries as people
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import (
    Department,
    Escalation,
    Issue,
    Member,
    Project,
    ResourceRequest,
    Task,
)

Reason = Callable[[str, ZoneInfo], str]  # (locale, zone) → a job's reason, for one reader
PREFIX = {"task": "T", "issue": "I", "request": "R", "charter": "P"}


def subject_ref(subject_type: str, number: int) -> str:
    return f"{PREFIX[subject_type]}{number}"


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
    """Post the escalation at its current level into the project groups, once per key
    (``reason_for``: the reason worded for each group, else the one kept on the row).

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

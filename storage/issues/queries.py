"""The issue tracker's data access: issues, their departments, timelines, lists and SLA scans.

SLA breach is a fact of the timestamps: an issue breached its triage (plan) SLA when it was not
triaged (given a plan) by ``triage_due_at`` (``plan_due_at``); the ``*_breached`` flags record
that the scheduler has acted on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.projects.numbering import next_number
from storage.tables import Issue, IssueDepartment, IssueEntry, IssueStatus, Project, ProjectRole

OPEN_STATES = (IssueStatus.OPEN, IssueStatus.TRIAGED, IssueStatus.RESOLVED)  # all but closed


async def add_issue(session: AsyncSession, issue: Issue) -> Issue:
    """Insert ``issue`` with the next number of its project."""
    issue.number = await next_number(session, Issue, issue.project_id)
    session.add(issue)
    await session.flush()
    return issue


async def issue_by_number(session: AsyncSession, *, project_id: int, number: int) -> Issue | None:
    query = select(Issue).where(Issue.project_id == project_id, Issue.number == number)
    return (await session.exec(query)).first()


async def set_departments(
    session: AsyncSession, *, issue_id: int, role: str, department_ids: Iterable[int]
) -> None:
    """Replace the ``role`` departments (involved / support) of an issue."""
    await session.exec(
        delete(IssueDepartment).where(
            col(IssueDepartment.issue_id) == issue_id, col(IssueDepartment.role) == role
        )
    )
    session.add_all(
        IssueDepartment(issue_id=issue_id, department_id=d, role=role)
        for d in dict.fromkeys(department_ids)
    )
    await session.flush()


async def departments_of(
    session: AsyncSession, issue_ids: Iterable[int]
) -> dict[int, dict[str, list[int]]]:
    """``issue id → {role: [department ids]}``."""
    ids = set(issue_ids)
    if not ids:
        return {}
    query = (
        select(IssueDepartment)
        .where(col(IssueDepartment.issue_id).in_(ids))
        .order_by(col(IssueDepartment.department_id))
    )
    out: dict[int, dict[str, list[int]]] = {i: {} for i in ids}
    for row in (await session.exec(query)).all():
        out[row.issue_id].setdefault(row.role, []).append(row.department_id)
    return out


def add_entry(
    session: AsyncSession,
    *,
    issue_id: int,
    author_id: int | None,
    kind: str,
    text: str | None,
    at: datetime,
) -> None:
    session.add(IssueEntry(issue_id=issue_id, author_id=author_id, kind=kind, text=text, at=at))


async def timeline(session: AsyncSession, issue_id: int) -> Sequence[IssueEntry]:
    query = select(IssueEntry).where(IssueEntry.issue_id == issue_id).order_by(col(IssueEntry.id))
    return (await session.exec(query)).all()


def triage_late(now: datetime) -> ColumnElement[bool]:
    """Missed the triage SLA: flagged, triaged late, or still untriaged past the due time."""
    return or_(
        col(Issue.triage_breached),
        and_(col(Issue.triaged_at).is_(None), col(Issue.triage_due_at) < now),
        col(Issue.triaged_at) > col(Issue.triage_due_at),
    )


def plan_late(now: datetime) -> ColumnElement[bool]:
    return or_(
        col(Issue.plan_breached),
        and_(col(Issue.planned_at).is_(None), col(Issue.plan_due_at) < now),
        col(Issue.planned_at) > col(Issue.plan_due_at),
    )


@dataclass(frozen=True)
class IssueFilter:
    """What ``issue list`` asks for. ``scope``: open (not closed), breached, closed, or all."""

    scope: str = "open"
    member_id: int | None = None  # "mine": reported by or owned by this member
    department_id: int | None = None  # involved, primary or supporting
    urgency: str | None = None
    category: str | None = None


async def find_issues(
    session: AsyncSession, *, project_id: int, now: datetime, where: IssueFilter
) -> Sequence[Issue]:
    query = select(Issue).where(Issue.project_id == project_id)
    if where.scope == "closed":
        query = query.where(Issue.status == IssueStatus.CLOSED)
    elif where.scope != "all":
        query = query.where(col(Issue.status).in_(OPEN_STATES))
    if where.scope == "breached":
        query = query.where(or_(triage_late(now), plan_late(now)))
    if where.member_id is not None:
        query = query.where(
            or_(col(Issue.reporter_id) == where.member_id, col(Issue.owner_id) == where.member_id)
        )
    if where.department_id is not None:
        linked = exists().where(
            col(IssueDepartment.issue_id) == col(Issue.id),
            col(IssueDepartment.department_id) == where.department_id,
        )
        query = query.where(or_(col(Issue.primary_department_id) == where.department_id, linked))
    if where.urgency is not None:
        query = query.where(Issue.urgency == where.urgency)
    if where.category is not None:
        query = query.where(func.lower(Issue.category) == where.category.lower())
    return (await session.exec(query.order_by(col(Issue.number)))).all()


async def triage_overdue(session: AsyncSession, *, now: datetime) -> Sequence[Issue]:
    """Untriaged issues past their triage due time that the scheduler has not acted on.

    ``triaged_at IS NULL`` lets the partial index ``ix_issue_open_triage_due`` serve the scan.
    """
    query = select(Issue).where(
        col(Issue.triaged_at).is_(None),
        col(Issue.triage_due_at) < now,
        col(Issue.triage_breached).is_(False),
        Issue.status == IssueStatus.OPEN,
    )
    return (await session.exec(query.order_by(col(Issue.id)))).all()


async def plan_overdue(session: AsyncSession, *, now: datetime) -> Sequence[Issue]:
    """Issues without a solution plan past their plan due time, not yet acted on."""
    query = select(Issue).where(
        col(Issue.planned_at).is_(None),
        col(Issue.plan_due_at) < now,
        col(Issue.plan_breached).is_(False),
        col(Issue.status).in_((IssueStatus.OPEN, IssueStatus.TRIAGED)),
    )
    return (await session.exec(query.order_by(col(Issue.id)))).all()


async def reported_between(
    session: AsyncSession, *, project_id: int, since: datetime, until: datetime
) -> Sequence[Issue]:
    query = select(Issue).where(
        Issue.project_id == project_id,
        col(Issue.created_at) >= since,
        col(Issue.created_at) <= until,
    )
    return (await session.exec(query.order_by(col(Issue.number)))).all()


async def awaiting_triage_by(session: AsyncSession, member_id: int) -> Sequence[Issue]:
    """Untriaged issues of every project where ``member_id`` is the owner, a PM or coordinator."""
    role = exists().where(
        col(ProjectRole.project_id) == col(Project.id),
        col(ProjectRole.member_id) == member_id,
        col(ProjectRole.role).in_(("pm", "coordinator")),
    )
    query = (
        select(Issue)
        .join(Project, col(Project.id) == Issue.project_id)
        .where(
            Issue.status == IssueStatus.OPEN,
            or_(col(Project.owner_id) == member_id, col(Project.coordinator_id) == member_id, role),
        )
    )
    return (await session.exec(query.order_by(col(Issue.project_id), col(Issue.number)))).all()


async def issues_with(
    session: AsyncSession,
    *,
    status: str,
    owner_id: int | None = None,
    reporter_id: int | None = None,
) -> Sequence[Issue]:
    """Issues in ``status`` owned by / reported by a member, across projects."""
    query = select(Issue).where(Issue.status == status)
    if owner_id is not None:
        query = query.where(Issue.owner_id == owner_id)
    if reporter_id is not None:
        query = query.where(Issue.reporter_id == reporter_id)
    return (await session.exec(query.order_by(col(Issue.project_id), col(Issue.number)))).all()

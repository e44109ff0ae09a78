"""Everything a weekly digest shows, for many projects at once, in a fixed number of queries.

``load`` runs ten queries whatever the number of projects (chunk the ids to bound the
``IN`` lists); rows come back grouped by project id. No lazy loading, no query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from storage.rows import id_of
from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Issue,
    IssueStatus,
    Meeting,
    MeetingStatus,
    Member,
    Phase,
    Project,
    ResourceRequest,
    Task,
    TaskStatus,
)

OPEN_ISSUE_STATES = (IssueStatus.OPEN, IssueStatus.TRIAGED)
Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class TaskLine:
    """The columns of a task a digest shows (plain rows: no ORM bookkeeping per task)."""

    project_id: int
    number: int
    title: str
    owner_id: int | None
    status: str
    due_at: datetime | None
    due_has_time: bool
    blocked_reason: str | None
    done_at: datetime | None


TASK_LINE = (
    col(Task.project_id),
    col(Task.number),
    col(Task.title),
    col(Task.owner_id),
    col(Task.status),
    col(Task.due_at),
    col(Task.due_has_time),
    col(Task.blocked_reason),
    col(Task.done_at),
)


@dataclass
class DigestRows:
    projects: dict[int, Project] = field(default_factory=dict)
    phases: dict[int, list[Phase]] = field(default_factory=lambda: defaultdict(list))
    # project → (phase or None, status) → number of tasks
    counts: dict[int, dict[tuple[int | None, str], int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    attention: dict[int, list[TaskLine]] = field(default_factory=lambda: defaultdict(list))
    done: dict[int, list[TaskLine]] = field(default_factory=lambda: defaultdict(list))
    issues: dict[int, list[Issue]] = field(default_factory=lambda: defaultdict(list))
    approvals: dict[int, list[ApprovalStep]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[int, ResourceRequest] = field(default_factory=dict)
    meetings: dict[int, list[Meeting]] = field(default_factory=lambda: defaultdict(list))
    members: dict[int, Member] = field(default_factory=dict)


async def load(
    session: AsyncSession,
    *,
    project_ids: Sequence[int],
    now: datetime,
    done_since: datetime,
    meetings_until: datetime,
) -> DigestRows:
    rows = DigestRows()
    ids = list(project_ids)
    for project in await _all(session, select(Project).where(col(Project.id).in_(ids))):
        rows.projects[id_of(project)] = project
    phases = select(Phase).where(col(Phase.project_id).in_(ids)).order_by(col(Phase.position))
    for phase in await _all(session, phases):
        rows.phases[phase.project_id].append(phase)
    await _task_counts(session, ids, rows)
    await _tasks(session, ids, now, done_since, rows)
    await _issues_and_approvals(session, ids, rows)
    meetings = (
        select(Meeting)
        .where(col(Meeting.project_id).in_(ids), col(Meeting.status) != MeetingStatus.CANCELLED)
        .where(col(Meeting.starts_at) >= now, col(Meeting.starts_at) <= meetings_until)
        .order_by(col(Meeting.starts_at))
    )
    for meeting in await _all(session, meetings):
        rows.meetings[meeting.project_id].append(meeting)
    await _members(session, rows)
    return rows


async def _all(session: AsyncSession, query: SelectOfScalar[Row]) -> Sequence[Row]:
    return (await session.exec(query)).all()


async def _task_counts(session: AsyncSession, ids: list[int], rows: DigestRows) -> None:
    query = (
        select(Task.project_id, Task.phase_id, Task.status, func.count())
        .where(col(Task.project_id).in_(ids))
        .group_by(col(Task.project_id), col(Task.phase_id), col(Task.status))
    )
    for project_id, phase_id, status, count in (await session.exec(query)).all():
        rows.counts[project_id][(phase_id, status)] = int(count)


async def _tasks(
    session: AsyncSession, ids: list[int], now: datetime, since: datetime, rows: DigestRows
) -> None:
    # Plain column rows through the session's connection: tens of thousands of tasks per
    # batch would otherwise each become a tracked ORM object.
    connection = await session.connection()
    late_or_blocked = or_(col(Task.status) == TaskStatus.BLOCKED, col(Task.due_at) < now)
    attention = (
        sa_select(*TASK_LINE)
        .where(col(Task.project_id).in_(ids), col(Task.status) != TaskStatus.DONE, late_or_blocked)
        .order_by(col(Task.due_at), col(Task.number))
    )
    for row in await connection.execute(attention):
        task = TaskLine(*row)
        rows.attention[task.project_id].append(task)
    done = (
        sa_select(*TASK_LINE)
        .where(col(Task.project_id).in_(ids), col(Task.status) == TaskStatus.DONE)
        .where(col(Task.done_at) >= since)
        .order_by(col(Task.done_at))
    )
    for row in await connection.execute(done):
        task = TaskLine(*row)
        rows.done[task.project_id].append(task)


async def _issues_and_approvals(session: AsyncSession, ids: list[int], rows: DigestRows) -> None:
    issues = (
        select(Issue)
        .where(col(Issue.project_id).in_(ids), col(Issue.status).in_(OPEN_ISSUE_STATES))
        .order_by(col(Issue.number))
    )
    for issue in await _all(session, issues):
        rows.issues[issue.project_id].append(issue)
    steps = (
        select(ApprovalStep)
        .where(col(ApprovalStep.project_id).in_(ids), ApprovalStep.status == ApprovalStatus.PENDING)
        .order_by(col(ApprovalStep.due_at), col(ApprovalStep.id))
    )
    request_ids: set[int] = set()
    for step in await _all(session, steps):
        rows.approvals[step.project_id].append(step)
        if step.subject_type == "request":
            request_ids.add(step.subject_id)
    if request_ids:
        found = select(ResourceRequest).where(col(ResourceRequest.id).in_(request_ids))
        for request in await _all(session, found):
            rows.requests[id_of(request)] = request


async def _members(session: AsyncSession, rows: DigestRows) -> None:
    ids: set[int | None] = set()
    for tasks in (*rows.attention.values(), *rows.done.values()):
        ids.update(t.owner_id for t in tasks)
    for issues in rows.issues.values():
        ids.update(i.owner_id for i in issues)
    for steps in rows.approvals.values():
        ids.update(s.approver_id for s in steps)
    wanted = {i for i in ids if i is not None}
    if wanted:
        for member in await _all(session, select(Member).where(col(Member.id).in_(wanted))):
            rows.members[id_of(member)] = member

"""Escalations and the items they are about (tasks, issues, requests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Escalation,
    EscalationStatus,
    Issue,
    Project,
    RaciEntry,
    ResourceRequest,
    Task,
)

SUBJECTS: dict[str, type[Task] | type[Issue] | type[ResourceRequest] | type[Project]] = {
    "task": Task,
    "issue": Issue,
    "request": ResourceRequest,
    "charter": Project,  # a charter sign-off waits on the project's department leaders
}
NUMBERED: dict[str, type[Task] | type[Issue] | type[ResourceRequest]] = {
    "task": Task,
    "issue": Issue,
    "request": ResourceRequest,
}
Subject = Task | Issue | ResourceRequest | Project


async def open_for(
    session: AsyncSession, *, subject_type: str, subject_id: int
) -> Escalation | None:
    query = select(Escalation).where(
        Escalation.subject_type == subject_type,
        Escalation.subject_id == subject_id,
        Escalation.status == EscalationStatus.OPEN,
    )
    # Fresh values even for a row this session loaded before (callers hold a lock).
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def by_number(session: AsyncSession, *, project_id: int, number: int) -> Escalation | None:
    query = select(Escalation).where(
        Escalation.project_id == project_id, Escalation.number == number
    )
    return (await session.exec(query)).first()


async def of_project(
    session: AsyncSession, project_id: int, *, open_only: bool = True
) -> Sequence[Escalation]:
    query = select(Escalation).where(Escalation.project_id == project_id)
    if open_only:
        query = query.where(Escalation.status == EscalationStatus.OPEN)
    return (await session.exec(query.order_by(col(Escalation.number)))).all()


async def due(session: AsyncSession, *, now: datetime, limit: int = 500) -> Sequence[Escalation]:
    """Open escalations whose level time has run out (uses the partial index)."""
    query = (
        select(Escalation)
        .where(Escalation.status == EscalationStatus.OPEN, col(Escalation.next_level_at) <= now)
        .order_by(col(Escalation.next_level_at))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def subject(session: AsyncSession, subject_type: str, subject_id: int) -> Subject | None:
    return await session.get(SUBJECTS[subject_type], subject_id)


async def subject_by_number(
    session: AsyncSession, *, subject_type: str, project_id: int, number: int
) -> Task | Issue | ResourceRequest | None:
    model = NUMBERED[subject_type]
    query = select(model).where(model.project_id == project_id, model.number == number)
    found = (await session.exec(query)).first()
    assert found is None or isinstance(found, Task | Issue | ResourceRequest)
    return found


async def responsible_members(session: AsyncSession, task_id: int) -> list[int]:
    query = select(RaciEntry.member_id).where(
        RaciEntry.task_id == task_id, RaciEntry.role == "R", col(RaciEntry.member_id).is_not(None)
    )
    return [m for m in (await session.exec(query)).all() if m is not None]


async def pending_approvers(
    session: AsyncSession, *, subject_type: str, subject_id: int
) -> list[int]:
    """Who still has to decide: one approver for a request, every open leader for a charter."""
    query = (
        select(ApprovalStep.approver_id)
        .where(
            ApprovalStep.subject_type == subject_type,
            ApprovalStep.subject_id == subject_id,
            ApprovalStep.status == ApprovalStatus.PENDING,
        )
        .order_by(col(ApprovalStep.position))
    )
    return [i for i in (await session.exec(query)).all() if i is not None]

"""Approval steps: the chains of resource requests and the rounds of charter sign-off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import lock
from storage.tables import ApprovalStatus, ApprovalStep, Member, Project, ResourceRequest

# A step that still needs a person: open for a decision, or waiting for the requester's answer.
LIVE = (ApprovalStatus.WAITING, ApprovalStatus.PENDING, ApprovalStatus.SUGGESTED)
# Outcomes that let the chain go on.
PASSED = (ApprovalStatus.APPROVED, ApprovalStatus.AUTO, ApprovalStatus.ADJUSTED)
# The row each kind of chain belongs to: deciding a step locks it first.
SUBJECT_TABLES: dict[str, type[ResourceRequest] | type[Project]] = {
    "request": ResourceRequest,
    "charter": Project,
}


async def get_step(session: AsyncSession, step_id: int) -> ApprovalStep | None:
    return await session.get(ApprovalStep, step_id)


async def lock_for_decision(session: AsyncSession, step: ApprovalStep) -> None:
    """Hold the step's subject, then the step, until commit; both are re-read.

    A second click on the same step (on another replica) waits here and then sees the step
    decided. Subject first, always: every change to a chain holds its subject, so decisions
    on sibling steps (charter sign-offs) and the requester's own moves take turns too.
    """
    model = SUBJECT_TABLES[step.subject_type]
    subject = await session.get(model, step.subject_id)
    if subject is not None:
        await lock(session, subject)
    await lock(session, step)


async def latest_round(session: AsyncSession, *, subject_type: str, subject_id: int) -> int:
    query = select(func.max(ApprovalStep.round)).where(
        ApprovalStep.subject_type == subject_type, ApprovalStep.subject_id == subject_id
    )
    return int((await session.exec(query)).one() or 0)


async def next_position(session: AsyncSession, *, subject_type: str, subject_id: int) -> int:
    query = select(func.max(ApprovalStep.position)).where(
        ApprovalStep.subject_type == subject_type, ApprovalStep.subject_id == subject_id
    )
    return int((await session.exec(query)).one() or 0) + 1


async def steps_of(
    session: AsyncSession, *, subject_type: str, subject_id: int, round: int | None = None
) -> Sequence[ApprovalStep]:
    """The steps of a subject's latest round (or of ``round``), in chain order."""
    if round is None:
        round = await latest_round(session, subject_type=subject_type, subject_id=subject_id)
    query = select(ApprovalStep).where(
        ApprovalStep.subject_type == subject_type,
        ApprovalStep.subject_id == subject_id,
        ApprovalStep.round == round,
    )
    return (await session.exec(query.order_by(col(ApprovalStep.position)))).all()


async def add_steps(session: AsyncSession, steps: Sequence[ApprovalStep]) -> None:
    session.add_all(steps)
    await session.flush()


async def pending_for(session: AsyncSession, *, member_id: int) -> Sequence[ApprovalStep]:
    """Pending steps ``member_id`` may decide: as the approver or as the approver's delegate."""
    delegators = select(Member.id).where(Member.delegate_id == member_id)
    query = select(ApprovalStep).where(
        ApprovalStep.status == ApprovalStatus.PENDING,
        (col(ApprovalStep.approver_id) == member_id)
        | col(ApprovalStep.approver_id).in_(delegators),
    )
    query = query.order_by(col(ApprovalStep.due_at), col(ApprovalStep.id))
    return (await session.exec(query)).all()


async def overdue_steps(session: AsyncSession, *, now: datetime) -> Sequence[ApprovalStep]:
    """Pending steps past their deadline (the partial index keeps this scan small)."""
    query = select(ApprovalStep).where(
        ApprovalStep.status == ApprovalStatus.PENDING, col(ApprovalStep.due_at) <= now
    )
    return (await session.exec(query.order_by(col(ApprovalStep.due_at)))).all()


async def delegators(session: AsyncSession, member_id: int) -> Sequence[Member]:
    """The members who named ``member_id`` as their delegate."""
    query = select(Member).where(Member.delegate_id == member_id).order_by(col(Member.id))
    return (await session.exec(query)).all()

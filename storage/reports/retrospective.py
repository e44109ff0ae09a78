"""Rows for the retrospective export."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import ApprovalStep, Issue


async def project_issues(session: AsyncSession, project_id: int) -> Sequence[Issue]:
    query = select(Issue).where(Issue.project_id == project_id).order_by(col(Issue.number))
    return (await session.exec(query)).all()


async def project_approval_steps(session: AsyncSession, project_id: int) -> Sequence[ApprovalStep]:
    """Every approval step of the project (its requests' and its charter's), in order."""
    query = select(ApprovalStep).where(ApprovalStep.project_id == project_id)
    order = (col(ApprovalStep.subject_type), col(ApprovalStep.subject_id), col(ApprovalStep.round))
    return (await session.exec(query.order_by(*order, col(ApprovalStep.position)))).all()

"""Rows for the retrospective export."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Issue


async def project_issues(session: AsyncSession, project_id: int) -> Sequence[Issue]:
    query = select(Issue).where(Issue.project_id == project_id).order_by(col(Issue.number))
    return (await session.exec(query)).all()

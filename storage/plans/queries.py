"""The communication plan (沟通计划): a project's recurring communication items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import PlanItem


async def plan_items(session: AsyncSession, project_id: int) -> Sequence[PlanItem]:
    """The project's items in the order they were added (the order ``plan`` numbers them)."""
    query = select(PlanItem).where(PlanItem.project_id == project_id)
    return (await session.exec(query.order_by(col(PlanItem.id)))).all()


async def add_item(session: AsyncSession, item: PlanItem) -> PlanItem:
    session.add(item)
    await session.flush()
    return item


async def remove_item(session: AsyncSession, item: PlanItem) -> None:
    await session.delete(item)
    await session.flush()


async def due_items(session: AsyncSession, *, now: datetime) -> Sequence[PlanItem]:
    query = select(PlanItem).where(col(PlanItem.next_due_at) <= now)
    return (await session.exec(query.order_by(col(PlanItem.next_due_at), col(PlanItem.id)))).all()

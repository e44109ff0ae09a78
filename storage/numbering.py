"""Per-project item numbers (T3, I7, R2, E1 …).

The project row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has a single
writer anyway), so replicas numbering items of the same project take turns instead of
colliding on the unique (project, number) constraint.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Escalation, Issue, Meeting, Project, ResourceRequest, Task

Numbered = type[Task] | type[Issue] | type[ResourceRequest] | type[Escalation] | type[Meeting]


async def next_number(session: AsyncSession, model: Numbered, project_id: int) -> int:
    await session.exec(select(Project.id).where(Project.id == project_id).with_for_update())
    query = select(func.max(model.number)).where(model.project_id == project_id)
    return int((await session.exec(query)).one() or 0) + 1

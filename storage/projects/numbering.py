"""Per-project item numbers (T3, I7, R2, E1 …).

The project row is locked first (``storage.rows.lock_id``: ``SELECT … FOR UPDATE`` on
PostgreSQL, the single write lock on SQLite), so replicas — and concurrent events in one
process — numbering items of the same project take turns instead of colliding on the unique
(project, number) constraint.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import lock_id
from storage.tables import Escalation, Issue, Meeting, Project, ResourceRequest, Task

Numbered = type[Task] | type[Issue] | type[ResourceRequest] | type[Escalation] | type[Meeting]


async def next_number(session: AsyncSession, model: Numbered, project_id: int) -> int:
    await lock_id(session, Project, project_id)
    query = select(func.max(model.number)).where(model.project_id == project_id)
    return int((await session.exec(query)).one() or 0) + 1

"""What the scheduler scans: due tasks, digest chats, daily-reminder subscribers, and claims.

Every scan is bounded by an index on what is due (``ix_task_open_due`` for tasks), so its cost
follows the number of due items, not the size of the tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import String, cast, exists, func, literal
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import (
    Chat,
    Member,
    NotificationKey,
    Project,
    ProjectRole,
    ProjectStatus,
    Task,
    TaskStatus,
)

Row = TypeVar("Row", bound=SQLModel)


async def open_tasks_due_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> Sequence[Task]:
    """Open tasks whose deadline lies in ``[start, end]``, earliest first.

    ``status <> 'done'`` is spelled exactly as the partial index's predicate so that both
    SQLite and PostgreSQL use the index.
    """
    query = (
        select(Task)
        .where(col(Task.status) != TaskStatus.DONE)
        .where(col(Task.due_at) >= start, col(Task.due_at) <= end)
        .order_by(col(Task.due_at), col(Task.id))
    )
    return (await session.exec(query)).all()


async def claim(session: AsyncSession, model: type[Row], item_id: int) -> Row | None:
    """Lock one due item for this transaction; None if another replica holds it.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent replicas split the due items.
    SQLite ignores row locks (one process is assumed there).
    """
    key = col(model.id)  # type: ignore[attr-defined]
    query = select(model).where(key == item_id).with_for_update(skip_locked=True)
    return (await session.exec(query)).first()


async def try_job_lock(session: AsyncSession, name: str) -> bool:
    """Hold the job ``name`` for this transaction; False while another replica holds it.

    A PostgreSQL transaction-level advisory lock; always True on SQLite (one process).
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    digest = hashlib.blake2b(f"concord:job:{name}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    result = await session.exec(select(func.pg_try_advisory_xact_lock(key)))
    return bool(result.one())


async def projects_by_ids(session: AsyncSession, ids: set[int]) -> dict[int, Project]:
    if not ids:
        return {}
    rows = (await session.exec(select(Project).where(col(Project.id).in_(ids)))).all()
    return {p.id: p for p in rows if p.id is not None}


async def pm_ids_of(session: AsyncSession, project_ids: set[int]) -> dict[int, list[int]]:
    """Each project's owner followed by its extra PMs."""
    projects = await projects_by_ids(session, project_ids)
    out = {pid: [p.owner_id] if p.owner_id else [] for pid, p in projects.items()}
    if project_ids:
        query = select(ProjectRole).where(
            col(ProjectRole.project_id).in_(project_ids), ProjectRole.role == "pm"
        )
        for role in (await session.exec(query.order_by(col(ProjectRole.id)))).all():
            if role.member_id not in out.setdefault(role.project_id, []):
                out[role.project_id].append(role.member_id)
    return out


async def group_chats(session: AsyncSession, project_ids: set[int] | None = None) -> Sequence[Chat]:
    """Group chats bound to active projects (all of them, or those of ``project_ids``)."""
    query = (
        select(Chat)
        .join(Project, col(Project.id) == col(Chat.project_id))
        .where(col(Chat.is_direct).is_(False), Project.status == ProjectStatus.ACTIVE)
        .order_by(col(Chat.id))
    )
    if project_ids is not None:
        query = query.where(col(Chat.project_id).in_(project_ids))
    return (await session.exec(query)).all()


async def digest_slots(
    session: AsyncSession,
) -> Sequence[tuple[int | None, str | None, str | None]]:
    """The distinct (weekday, time, zone) digest settings of active project groups (None: the
    configured default) — a handful, so the job knows which groups can be due at all."""
    query = (
        select(Chat.digest_weekday, Chat.digest_time, Chat.timezone)
        .join(Project, col(Project.id) == col(Chat.project_id))
        .where(col(Chat.is_direct).is_(False), Project.status == ProjectStatus.ACTIVE)
        .distinct()
    )
    return (await session.exec(query)).all()


async def digest_pending(
    session: AsyncSession,
    *,
    slot: tuple[int | None, str | None, str | None],
    week: str,
    created_before: datetime,
) -> Sequence[Chat]:
    """Groups with this digest setting that have no ``digest:{chat}:{week}`` key yet."""
    weekday, time, zone = slot
    key = literal("digest:") + cast(col(Chat.id), String) + literal(f":{week}")
    sent = exists().where(col(NotificationKey.key) == key)
    query = (
        select(Chat)
        .join(Project, col(Project.id) == col(Chat.project_id))
        .where(col(Chat.is_direct).is_(False), Project.status == ProjectStatus.ACTIVE, ~sent)
        .where(_same(col(Chat.digest_weekday), weekday), _same(col(Chat.digest_time), time))
        .where(_same(col(Chat.timezone), zone), col(Chat.created_at) <= created_before)
        .order_by(col(Chat.id))
    )
    return (await session.exec(query)).all()


def _same(column: Any, value: object) -> Any:
    return column.is_(None) if value is None else column == value


async def daily_subscribers(session: AsyncSession) -> Sequence[Member]:
    query = select(Member).where(col(Member.daily_reminders).is_(True)).order_by(col(Member.id))
    return (await session.exec(query)).all()


async def open_tasks_of_members(
    session: AsyncSession, member_ids: set[int], *, due_before: datetime
) -> Sequence[Task]:
    """Open tasks of these owners with a deadline before ``due_before``, earliest first."""
    if not member_ids:
        return []
    query = (
        select(Task)
        .where(col(Task.owner_id).in_(member_ids), col(Task.status) != TaskStatus.DONE)
        .where(col(Task.due_at) < due_before)
        .order_by(col(Task.due_at), col(Task.id))
    )
    return (await session.exec(query)).all()

"""Tasks, their dependencies, history and RACI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.projects.numbering import next_number
from storage.rows import id_of, insert_absent
from storage.tables import RaciEntry, Task, TaskDependency, TaskEvent, TaskStatus


async def add_task(session: AsyncSession, task: Task) -> Task:
    task.number = await next_number(session, Task, task.project_id)
    session.add(task)
    await session.flush()
    return task


async def task_by_number(session: AsyncSession, *, project_id: int, number: int) -> Task | None:
    query = select(Task).where(Task.project_id == project_id, Task.number == number)
    return (await session.exec(query)).first()


async def project_tasks(session: AsyncSession, project_id: int) -> Sequence[Task]:
    query = select(Task).where(Task.project_id == project_id).order_by(col(Task.number))
    return (await session.exec(query)).all()


async def open_tasks_of(session: AsyncSession, member_id: int) -> Sequence[Task]:
    query = (
        select(Task)
        .where(Task.owner_id == member_id, Task.status != TaskStatus.DONE)
        .order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id))
    )
    return (await session.exec(query)).all()


def record_change(
    session: AsyncSession,
    *,
    task: Task,
    actor_id: int | None,
    at: datetime,
    field: str,
    old: str | None,
    new: str | None,
    note: str | None = None,
) -> None:
    session.add(
        TaskEvent(
            task_id=id_of(task),
            project_id=task.project_id,
            actor_id=actor_id,
            at=at,
            field=field,
            old=old,
            new=new,
            note=note,
        )
    )


async def history(session: AsyncSession, task_id: int) -> Sequence[TaskEvent]:
    query = select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(col(TaskEvent.id))
    return (await session.exec(query)).all()


async def project_changes_since(
    session: AsyncSession, *, project_id: int, since: datetime
) -> Sequence[TaskEvent]:
    query = (
        select(TaskEvent)
        .where(TaskEvent.project_id == project_id, col(TaskEvent.at) >= since)
        .order_by(col(TaskEvent.id))
    )
    return (await session.exec(query)).all()


async def dependencies(session: AsyncSession, task_id: int) -> Sequence[Task]:
    query = (
        select(Task)
        .join(TaskDependency, col(TaskDependency.depends_on_id) == Task.id)
        .where(TaskDependency.task_id == task_id)
        .order_by(col(Task.number))
    )
    return (await session.exec(query)).all()


async def dependency_ids(session: AsyncSession, project_id: int) -> dict[int, set[int]]:
    query = (
        select(TaskDependency)
        .join(Task, col(TaskDependency.task_id) == Task.id)
        .where(Task.project_id == project_id)
    )
    graph: dict[int, set[int]] = {}
    for dep in (await session.exec(query)).all():
        graph.setdefault(dep.task_id, set()).add(dep.depends_on_id)
    return graph


async def add_dependency(session: AsyncSession, *, task_id: int, depends_on_id: int) -> None:
    await insert_absent(session, TaskDependency(task_id=task_id, depends_on_id=depends_on_id))


async def raci(session: AsyncSession, task_id: int) -> Sequence[RaciEntry]:
    query = select(RaciEntry).where(RaciEntry.task_id == task_id).order_by(col(RaciEntry.id))
    return (await session.exec(query)).all()


async def replace_raci(
    session: AsyncSession, *, task_id: int, entries: Sequence[RaciEntry]
) -> None:
    await session.exec(delete(RaciEntry).where(col(RaciEntry.task_id) == task_id))
    session.add_all(entries)
    await session.flush()

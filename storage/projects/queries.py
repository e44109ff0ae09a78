"""Projects, roles, participating departments and phases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import insert_absent
from storage.tables import Chat, Phase, Project, ProjectDepartment, ProjectRole, ProjectStatus


async def get_project(session: AsyncSession, project_id: int) -> Project | None:
    return await session.get(Project, project_id)


async def project_by_name(session: AsyncSession, name: str) -> Project | None:
    query = select(Project).where(func.lower(Project.name) == name.strip().lower())
    return (await session.exec(query.order_by(col(Project.id)))).first()


async def all_projects(session: AsyncSession, *, active_only: bool = True) -> Sequence[Project]:
    query = select(Project).order_by(col(Project.id))
    if active_only:
        query = query.where(Project.status == ProjectStatus.ACTIVE)
    return (await session.exec(query)).all()


async def bind_chat(session: AsyncSession, *, chat: Chat, project_id: int) -> None:
    chat.project_id = project_id
    session.add(chat)


async def project_departments(
    session: AsyncSession, project_id: int
) -> Sequence[ProjectDepartment]:
    query = (
        select(ProjectDepartment)
        .where(ProjectDepartment.project_id == project_id)
        .order_by(col(ProjectDepartment.id))
    )
    return (await session.exec(query)).all()


async def add_department(
    session: AsyncSession, *, project_id: int, department_id: int, contact_id: int | None = None
) -> ProjectDepartment:
    query = select(ProjectDepartment).where(
        ProjectDepartment.project_id == project_id, ProjectDepartment.department_id == department_id
    )
    link = (await session.exec(query)).first()
    if link is None:
        first = ProjectDepartment(project_id=project_id, department_id=department_id)
        await insert_absent(session, first)
        link = (await session.exec(query)).one()
    if contact_id is not None:
        link.contact_id = contact_id
    await session.flush()
    return link


async def roles(session: AsyncSession, project_id: int) -> Sequence[ProjectRole]:
    query = select(ProjectRole).where(ProjectRole.project_id == project_id)
    return (await session.exec(query.order_by(col(ProjectRole.id)))).all()


async def add_role(session: AsyncSession, *, project_id: int, member_id: int, role: str) -> None:
    await insert_absent(session, ProjectRole(project_id=project_id, member_id=member_id, role=role))


async def phases(session: AsyncSession, project_id: int) -> Sequence[Phase]:
    query = select(Phase).where(Phase.project_id == project_id).order_by(col(Phase.position))
    return (await session.exec(query)).all()


async def phase_by_name(session: AsyncSession, *, project_id: int, name: str) -> Phase | None:
    query = select(Phase).where(
        Phase.project_id == project_id, func.lower(Phase.name) == name.strip().lower()
    )
    return (await session.exec(query)).first()


async def add_phase(session: AsyncSession, phase: Phase) -> Phase:
    query = select(func.max(Phase.position)).where(Phase.project_id == phase.project_id)
    phase.position = ((await session.exec(query)).one() or 0) + 1
    session.add(phase)
    await session.flush()
    return phase

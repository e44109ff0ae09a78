"""Resource requests: numbering, lookups, conflicts and the scheduler's overdue-return scan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.projects.numbering import next_number
from storage.tables import AuditLog, Department, RequestStatus, ResourceRequest

OPEN_STATUSES = (
    RequestStatus.PENDING,
    RequestStatus.SUGGESTED,
    RequestStatus.APPROVED,
    RequestStatus.RECEIVED,
    RequestStatus.RETURNED,
)
# The resource is promised or out: what a new request for the same thing conflicts with.
HELD_STATUSES = (RequestStatus.APPROVED, RequestStatus.RECEIVED, RequestStatus.RETURNED)


async def add_request(session: AsyncSession, request: ResourceRequest) -> ResourceRequest:
    request.number = await next_number(session, ResourceRequest, request.project_id)
    session.add(request)
    await session.flush()
    return request


async def get_request(session: AsyncSession, request_id: int) -> ResourceRequest | None:
    return await session.get(ResourceRequest, request_id)


async def request_by_number(
    session: AsyncSession, *, project_id: int, number: int
) -> ResourceRequest | None:
    query = select(ResourceRequest).where(
        ResourceRequest.project_id == project_id, ResourceRequest.number == number
    )
    return (await session.exec(query)).first()


async def project_requests(
    session: AsyncSession,
    *,
    project_id: int,
    statuses: Sequence[str] | None = None,
    requester_id: int | None = None,
) -> Sequence[ResourceRequest]:
    query = select(ResourceRequest).where(ResourceRequest.project_id == project_id)
    if statuses is not None:
        query = query.where(col(ResourceRequest.status).in_(statuses))
    if requester_id is not None:
        query = query.where(ResourceRequest.requester_id == requester_id)
    return (await session.exec(query.order_by(col(ResourceRequest.number)))).all()


async def held_overlapping(
    session: AsyncSession,
    *,
    kind: str,
    owner_department_id: int | None,
    start: datetime,
    end: datetime,
    exclude_id: int | None,
) -> Sequence[ResourceRequest]:
    """Approved, unreturned requests of ``kind`` whose window overlaps ``[start, end]``.

    Callers compare the resource itself (person or item); across all projects, since a
    department's people and things are shared by every project.
    """
    query = select(ResourceRequest).where(
        ResourceRequest.kind == kind,
        col(ResourceRequest.status).in_(HELD_STATUSES),
        col(ResourceRequest.window_start) <= end,
        col(ResourceRequest.window_end) >= start,
    )
    if owner_department_id is not None:
        query = query.where(ResourceRequest.owner_department_id == owner_department_id)
    if exclude_id is not None:
        query = query.where(ResourceRequest.id != exclude_id)
    return (await session.exec(query.order_by(col(ResourceRequest.id)))).all()


async def needing_requester(
    session: AsyncSession, *, requester_id: int
) -> Sequence[ResourceRequest]:
    """Open requests waiting for their requester: a suggestion, a receipt, or a return."""
    query = select(ResourceRequest).where(
        ResourceRequest.requester_id == requester_id,
        col(ResourceRequest.status).in_(
            (RequestStatus.SUGGESTED, RequestStatus.APPROVED, RequestStatus.RECEIVED)
        ),
    )
    return (await session.exec(query.order_by(col(ResourceRequest.id)))).all()


async def awaiting_confirmation(
    session: AsyncSession, *, department_ids: Sequence[int]
) -> Sequence[ResourceRequest]:
    """Returned requests of these owning departments, waiting to be confirmed and closed."""
    if not department_ids:
        return []
    query = select(ResourceRequest).where(
        ResourceRequest.status == RequestStatus.RETURNED,
        col(ResourceRequest.owner_department_id).in_(department_ids),
    )
    return (await session.exec(query.order_by(col(ResourceRequest.id)))).all()


async def departments_managed_by(
    session: AsyncSession, *, member_ids: Sequence[int], names: Sequence[str] = ()
) -> Sequence[Department]:
    """Departments led by one of ``member_ids``, or named in ``names`` (resource managers)."""
    conditions = [col(Department.leader_id).in_(member_ids)]
    if names:
        conditions.append(func.lower(Department.name).in_([n.lower() for n in names]))
    query = select(Department).where(or_(*conditions)).order_by(col(Department.id))
    return (await session.exec(query)).all()


async def overdue_returns(session: AsyncSession, *, now: datetime) -> Sequence[ResourceRequest]:
    """Requests in use whose window has ended without a return or write-off."""
    query = select(ResourceRequest).where(
        col(ResourceRequest.status).in_((RequestStatus.APPROVED, RequestStatus.RECEIVED)),
        col(ResourceRequest.window_end) < now,
    )
    return (await session.exec(query.order_by(col(ResourceRequest.id)))).all()


async def timeline(
    session: AsyncSession, *, request_id: int, step_ids: Sequence[int]
) -> Sequence[AuditLog]:
    """The audit rows of a request and of its approval steps, oldest first."""
    condition = and_(col(AuditLog.entity) == "request", col(AuditLog.entity_id) == request_id)
    if step_ids:
        steps = and_(col(AuditLog.entity) == "approval_step", col(AuditLog.entity_id).in_(step_ids))
        condition = or_(condition, steps)
    return (await session.exec(select(AuditLog).where(condition).order_by(col(AuditLog.id)))).all()

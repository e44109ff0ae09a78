"""The audit log: one row per state change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import AuditLog


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    platform: str | None,
    project_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    **detail: Any,
) -> None:
    session.add(
        AuditLog(
            at=at,
            actor_id=actor_id,
            platform=platform,
            project_id=project_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        )
    )


async def entries(
    session: AsyncSession,
    *,
    project_id: int | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
) -> Sequence[AuditLog]:
    query = select(AuditLog).order_by(col(AuditLog.id))
    if project_id is not None:
        query = query.where(AuditLog.project_id == project_id)
    if entity is not None:
        query = query.where(AuditLog.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    return (await session.exec(query)).all()

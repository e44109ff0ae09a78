"""The audit log of every state change."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class AuditLog(SQLModel, table=True):
    """Every state change: who, when, what, from which platform."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    platform: str | None = Field(default=None, max_length=20)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=20)
    entity_id: int | None = None
    detail: str | None = None  # JSON: from/to and other facts

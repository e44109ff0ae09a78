"""Escalation ladders on tasks, issues and requests; at most one open per item."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class EscalationStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Escalation(SQLModel, table=True):
    """An escalation ladder on a task, issue or request; at most one open per item."""

    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index(
            "ux_escalation_open_subject",
            "subject_type",
            "subject_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index(
            "ix_escalation_open_next",
            "next_level_at",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    number: int
    subject_type: str = Field(max_length=10)  # task / issue / request
    subject_id: int
    reason: str
    level: int = 1
    status: str = Field(default=EscalationStatus.OPEN, max_length=10)
    opened_by: int | None = Field(default=None, foreign_key="member.id")  # None: automatic
    opened_at: datetime
    level_started_at: datetime
    next_level_at: datetime | None = None
    last_reminded_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: int | None = Field(default=None, foreign_key="member.id")
    notes: str | None = None

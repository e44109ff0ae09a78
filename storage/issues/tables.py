"""The issue tracker: issues, the departments involved, and the timeline of entries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class IssueStatus(StrEnum):
    OPEN = "open"  # reported, not triaged yet
    TRIAGED = "triaged"  # has an owner and a plan
    RESOLVED = "resolved"  # fixed, waiting for the reporter to verify
    CLOSED = "closed"


class Urgency(StrEnum):
    HIGH = "high"  # the green channel: a shorter plan SLA
    MEDIUM = "medium"
    LOW = "low"


class IssueRole(StrEnum):
    """How a department takes part in an issue."""

    INVOLVED = "involved"
    SUPPORT = "support"


class Issue(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index(
            "ix_issue_open_triage_due",
            "triage_due_at",
            postgresql_where=text("triaged_at IS NULL"),
            sqlite_where=text("triaged_at IS NULL"),
        ),
        Index(
            "ix_issue_open_plan_due",
            "plan_due_at",
            postgresql_where=text("planned_at IS NULL"),
            sqlite_where=text("planned_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    title: str = Field(max_length=500)
    description: str | None = None
    urgency: str = Field(default=Urgency.MEDIUM, max_length=10)
    category: str | None = Field(default=None, max_length=100)
    reporter_id: int | None = Field(default=None, foreign_key="member.id")
    status: str = Field(default=IssueStatus.OPEN, max_length=20)
    primary_department_id: int | None = Field(default=None, foreign_key="department.id")
    owner_id: int | None = Field(default=None, foreign_key="member.id")
    eta_at: datetime | None = None
    triage_due_at: datetime | None = None
    plan_due_at: datetime | None = None
    triaged_at: datetime | None = None
    planned_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    triage_breached: bool = False
    plan_breached: bool = False
    reopen_count: int = 0
    created_at: datetime
    updated_at: datetime


class IssueDepartment(SQLModel, table=True):
    issue_id: int = Field(foreign_key="issue.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)
    role: str = Field(max_length=10, primary_key=True)  # an IssueRole


class IssueEntry(SQLModel, table=True):
    """One line of an issue's timeline (report, triage, progress, note, resolve, verify …)."""

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="member.id")
    kind: str = Field(max_length=20)
    text: str | None = None
    at: datetime

"""Tasks, their dependencies, history and RACI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    BLOCKED = "blocked"
    DONE = "done"


class Task(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        # The scheduler scans open tasks by deadline; this keeps the scan proportional to
        # what is due, not to the table.
        Index(
            "ix_task_open_due",
            "due_at",
            postgresql_where=text("status <> 'done'"),
            sqlite_where=text("status <> 'done'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    title: str = Field(max_length=500)
    phase_id: int | None = Field(default=None, foreign_key="phase.id")
    owner_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    due_at: datetime | None = None  # the deadline instant (UTC)
    due_has_time: bool = False  # False: the deadline is the end of ``due_at``'s local day
    standard: str | None = None  # deliverable standard (交付标准)
    status: str = Field(default=TaskStatus.TODO, max_length=20)
    status_before_block: str | None = Field(default=None, max_length=20)  # a TaskStatus
    blocked_reason: str | None = None
    blocked_at: datetime | None = None
    blocked_seconds: int = 0  # total time spent blocked, for the retrospective
    deliverable: str | None = None
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None = None


class TaskDependency(SQLModel, table=True):
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    depends_on_id: int = Field(foreign_key="task.id", primary_key=True)


class TaskEvent(SQLModel, table=True):
    """One change of a task: who, when, which field, from → to."""

    __table_args__ = (Index("ix_taskevent_task_at", "task_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    project_id: int = Field(foreign_key="project.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    at: datetime = Field(index=True)
    field: str = Field(max_length=30)
    old: str | None = None
    new: str | None = None
    note: str | None = None


class RaciEntry(SQLModel, table=True):
    """One R/A/C/I assignment of a task to a person or a department."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    role: str = Field(max_length=1)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")

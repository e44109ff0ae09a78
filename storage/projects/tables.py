"""The project board: projects, roles, phases, tasks, their history, RACI, escalations, plan."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class ProjectStatus(StrEnum):
    ACTIVE = "active"  # the only state so far: schedulers and digests look at active ones


class CharterStatus(StrEnum):
    PENDING = "pending"  # sent for sign-off
    APPROVED = "approved"
    REJECTED = "rejected"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    BLOCKED = "blocked"
    DONE = "done"


class EscalationStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    goal: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="member.id")
    sponsor_id: int | None = Field(default=None, foreign_key="member.id")
    coordinator_id: int | None = Field(default=None, foreign_key="member.id")
    status: str = Field(default=ProjectStatus.ACTIVE, max_length=20)
    scope: str | None = None
    budget: str | None = Field(default=None, max_length=200)
    charter_status: str | None = Field(default=None, max_length=20)  # a CharterStatus
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime
    updated_at: datetime


class ProjectDepartment(SQLModel, table=True):
    """A participating department, with its contact person (接口人) for this project."""

    __table_args__ = (UniqueConstraint("project_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    contact_id: int | None = Field(default=None, foreign_key="member.id")


class ProjectRole(SQLModel, table=True):
    """Extra role holders beyond the project's owner/sponsor/coordinator columns (more PMs …)."""

    __table_args__ = (UniqueConstraint("project_id", "member_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    role: str = Field(max_length=20)  # pm / sponsor / coordinator / member


class Phase(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    position: int
    name: str = Field(max_length=200)
    milestone: date | None = None
    milestone_reached_on: date | None = None


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


class PlanItem(SQLModel, table=True):
    """A recurring item of the project's communication plan (沟通计划)."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    what: str
    who: str | None = None
    channel: str | None = Field(default=None, max_length=100)
    weekday: int | None = None  # 0 = Monday; None = every working day
    time: str = Field(default="09:00", max_length=5)
    owner_id: int | None = Field(default=None, foreign_key="member.id")
    output: str | None = None
    note: str | None = None
    next_due_at: datetime | None = Field(default=None, index=True)
    created_at: datetime

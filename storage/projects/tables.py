"""Projects: their roles, participating departments and phases (tasks, escalations and the plan
have their own families)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class ProjectStatus(StrEnum):
    ACTIVE = "active"  # the only state so far: schedulers and digests look at active ones


class CharterStatus(StrEnum):
    PENDING = "pending"  # sent for sign-off
    APPROVED = "approved"
    REJECTED = "rejected"


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

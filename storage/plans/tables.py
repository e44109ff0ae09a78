"""The communication plan (沟通计划): a project's recurring communication items."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


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

"""People and places: members (with their platform identities), departments, chats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    # No FK: department and member point at each other; members are never deleted.
    leader_id: int | None = Field(default=None, index=True)
    region: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime


class Member(SQLModel, table=True):
    """A person. One person may be linked on several platforms (see ``MemberIdentity``)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    timezone: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    delegate_id: int | None = Field(default=None, foreign_key="member.id")
    daily_reminders: bool = False
    profile_refreshed_at: datetime | None = None
    created_at: datetime


class MemberIdentity(SQLModel, table=True):
    """A member's account on one platform (``console`` included)."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    display_name: str | None = Field(default=None, max_length=200)


class Chat(SQLModel, table=True):
    """A group or direct chat on one platform; a group may be bound to one project."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    name: str | None = Field(default=None, max_length=200)
    is_direct: bool = False
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    locale: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    digest_weekday: int | None = None  # 0 = Monday; None = configured default
    digest_time: str | None = Field(default=None, max_length=5)  # "HH:MM"
    quiet_hours: str | None = Field(default=None, max_length=11)  # "22:00-08:00"
    created_at: datetime

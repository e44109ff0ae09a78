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
    # DMs go to the platform the person chose (``member @me prefer:slack``), else to the one
    # they wrote from last.
    preferred_platform: str | None = Field(default=None, max_length=20)
    last_platform: str | None = Field(default=None, max_length=20)
    # Set when ``member link`` merged this member into another: the row stays, but it has no
    # identities and nothing refers to it any more. No FK: a merge moves every reference to
    # a member (found by their FKs), never this one.
    merged_into_id: int | None = None


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
    # What the group receives of the project's broadcasts: all (None), mine, digest.
    notify: str | None = Field(default=None, max_length=10)
    created_at: datetime


class ChatMember(SQLModel, table=True):
    """Someone who has written to Concord in a group: the group's own people, for
    ``settings notify:mine``."""

    __table_args__ = (UniqueConstraint("chat_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    first_seen_at: datetime


class LinkCode(SQLModel, table=True):
    """A one-time code from ``member link``: the person proves on another platform that
    both accounts are theirs. Only a hash of the code is kept."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str = Field(max_length=20)  # where it was started
    external_id: str = Field(max_length=200)  # the account that started it
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = Field(default=None, foreign_key="member.id")

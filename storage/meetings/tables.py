"""Meetings: schedule, participants, agenda items and decisions (action items are tasks)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"  # minutes published
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int
    topic: str = Field(max_length=500)
    starts_at: datetime = Field(index=True)
    duration_minutes: int = 60
    organizer_id: int | None = Field(default=None, foreign_key="member.id")
    recorder_id: int | None = Field(default=None, foreign_key="member.id")
    every_weekday: int | None = None  # weekly recurrence, 0 = Monday
    series_id: int | None = Field(default=None, foreign_key="meeting.id")
    status: str = Field(default=MeetingStatus.SCHEDULED, max_length=12)
    agenda_due_at: datetime | None = Field(default=None, index=True)
    agenda_sent_at: datetime | None = None
    start_reminded_at: datetime | None = None
    minutes_due_at: datetime | None = Field(default=None, index=True)
    minutes_reminded_at: datetime | None = None
    minutes_published_at: datetime | None = None
    created_at: datetime


class MeetingParticipant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")


class AgendaItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    title: str
    minutes: int | None = None
    material: str | None = None


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text: str
    recorded_by: int | None = Field(default=None, foreign_key="member.id")
    at: datetime

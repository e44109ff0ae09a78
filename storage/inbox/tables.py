"""The durable inbound port's rows: every event an adapter acknowledged, until it has run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class InboundStatus(StrEnum):
    PENDING = "pending"  # stored and acknowledged, not run yet (or waiting to retry)
    DONE = "done"  # the command ran (or was refused) and its replies are in the outbox
    FAILED = "failed"  # the command raised; the user was told "something went wrong (ref …)"


class InboundEvent(SQLModel, table=True):
    """A message or button press, stored before the platform is acknowledged.

    ``(platform, event_id)`` is unique: a platform's retry of an event it thinks was lost is
    refused by the insert itself. ``id`` order is processing order within a chat.
    """

    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index(
            "ix_inboundevent_chat_pending",
            "platform",
            "chat_external_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    event_id: str = Field(max_length=200)
    chat_external_id: str = Field(max_length=200)
    kind: str = Field(max_length=10)  # message / action
    payload: str  # JSON of the neutral event
    wants_answer: bool = False  # the adapter waits to answer inside the platform's request
    status: str = Field(default=InboundStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    received_at: datetime = Field(index=True)
    processed_at: datetime | None = None


class InboxLane(SQLModel, table=True):
    """One chat's intake lane: a worker runs a chat's events only while it holds this row's
    lock (PostgreSQL ``FOR UPDATE SKIP LOCKED``), so a chat's commands run one at a time and
    in order on any number of replicas, while different chats run side by side."""

    platform: str = Field(primary_key=True, max_length=20)
    chat_external_id: str = Field(primary_key=True, max_length=200)

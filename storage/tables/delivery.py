"""Delivery and bookkeeping: the outbox, the notification-key ledger, card references,
processed inbound events and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Outbox(SQLModel, table=True):
    """An outbound message, written in the same transaction as the change that causes it.

    ``id`` order is delivery order within a chat.
    """

    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_outbox_chat_pending",
            "platform",
            "chat_external_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_external_id: str = Field(max_length=200)  # a group, or the member id for a DM
    is_direct: bool = False
    thread_id: str | None = Field(default=None, max_length=200)  # a thread of the chat
    member_id: int | None = Field(default=None, foreign_key="member.id")  # DM / ephemeral target
    kind: str = Field(default="send", max_length=10)  # send / update / ephemeral
    card_key: str | None = Field(default=None, max_length=100)
    payload: str  # JSON of the neutral message
    status: str = Field(default="pending", max_length=10)  # pending / sent / failed
    attempts: int = 0
    next_attempt_at: datetime
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    last_error: str | None = None
    platform_message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime
    sent_at: datetime | None = None


class NotificationKey(SQLModel, table=True):
    """Ledger of proactive messages: a key can be written once, so it is sent once."""

    key: str = Field(primary_key=True, max_length=200)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    created_at: datetime


class CardRef(SQLModel, table=True):
    """Where a card was posted, so later updates can edit it in place."""

    __table_args__ = (UniqueConstraint("card_key", "platform", "chat_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    card_key: str = Field(max_length=100, index=True)
    platform: str = Field(max_length=20)
    chat_external_id: str = Field(max_length=200)
    message_id: str = Field(max_length=200)
    created_at: datetime


class ProcessedEvent(SQLModel, table=True):
    """Inbound events already handled, so platform retries run once."""

    platform: str = Field(primary_key=True, max_length=20)
    event_id: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(index=True)


class AuditLog(SQLModel, table=True):
    """Every state change: who, when, what, from which platform."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    platform: str | None = Field(default=None, max_length=20)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=20)
    entity_id: int | None = None
    detail: str | None = None  # JSON: from/to and other facts

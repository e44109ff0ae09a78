"""The transactional outbox: outbound messages and each chat's delivery lane."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (or for a retry)
    SENT = "sent"
    FAILED = "failed"  # gave up: ``concord outbox retry`` queues it again


class OutboxKind(StrEnum):
    SEND = "send"  # a new message
    UPDATE = "update"  # an edit of a card posted before (``card_key``)
    EPHEMERAL = "ephemeral"  # visible to one person only


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
        # ``concord outbox`` lists failed messages without reading the sent history.
        Index(
            "ix_outbox_failed",
            "id",
            postgresql_where=text("status = 'failed'"),
            sqlite_where=text("status = 'failed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_external_id: str = Field(max_length=200)  # a group, or the member id for a DM
    is_direct: bool = False
    thread_id: str | None = Field(default=None, max_length=200)  # a thread of the chat
    member_id: int | None = Field(default=None, foreign_key="member.id")  # DM / ephemeral target
    # An ephemeral answer to a platform account that need not be a member (a refused first
    # command creates nobody); wins over ``member_id``.
    account_id: str | None = Field(default=None, max_length=200)
    # The inbound event this row answers (None: a notice, card or reminder); for tracing.
    reply_to: str | None = Field(default=None, max_length=200)
    kind: str = Field(default=OutboxKind.SEND, max_length=10)
    card_key: str | None = Field(default=None, max_length=100)
    payload: str  # JSON of the neutral message
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None  # first failed attempt of the current streak
    platform_message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime
    sent_at: datetime | None = None


class OutboxLane(SQLModel, table=True):
    """One chat's delivery lane.

    A worker drains a chat only while it holds this row's lock (PostgreSQL ``FOR UPDATE SKIP
    LOCKED``), so each chat has one drainer at a time across replicas. The chat's rate limit
    is a token bucket kept here (``tokens`` as of ``refilled_at``), so every replica sees it;
    ``next_send_at`` says when the bucket has a token again (None: it has one now).
    """

    platform: str = Field(primary_key=True, max_length=20)
    chat_external_id: str = Field(primary_key=True, max_length=200)
    tokens: float | None = None  # None: a full bucket
    refilled_at: datetime | None = None
    next_send_at: datetime | None = None
    last_sent_at: datetime | None = None

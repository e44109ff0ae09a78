"""The notification-key ledger: what was sent once must not be sent again."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class NotificationKey(SQLModel, table=True):
    """Ledger of proactive messages: a key can be written once, so it is sent once."""

    key: str = Field(primary_key=True, max_length=200)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    created_at: datetime

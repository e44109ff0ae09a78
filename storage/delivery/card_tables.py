"""Card references: where each card was posted, to edit it in place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class CardRef(SQLModel, table=True):
    """Where a card was posted, so later updates can edit it in place."""

    __table_args__ = (UniqueConstraint("card_key", "platform", "chat_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    card_key: str = Field(max_length=100, index=True)
    platform: str = Field(max_length=20)
    chat_external_id: str = Field(max_length=200)
    message_id: str = Field(max_length=200)
    created_at: datetime

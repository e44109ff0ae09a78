"""Queueing a command's immediate replies in the outbox, for adapters that answer later.

Webhook platforms must be acknowledged within seconds, so such an adapter acks first, runs
the command, and posts its answer afterwards. Putting that answer in the outbox gives it the
same ordering, retries and rate-limit backoff as every other message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import Outgoing
from storage import outbox, people
from storage.db import SessionFactory, transaction


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a command came from: the answers go back there."""

    platform: str
    chat_id: str
    sender_id: str  # the speaker's platform account
    is_direct: bool = False
    thread_id: str | None = None


async def queue_replies(
    sessions: SessionFactory,
    origin: Origin,
    replies: Sequence[Outgoing],
    *,
    now: datetime,
    private: bool = False,
) -> int:
    """Write ``replies`` to the outbox; ``private`` turns chat answers into ephemeral ones."""
    if not replies:
        return 0
    async with transaction(sessions) as session:
        for reply in replies:
            kind = "ephemeral" if private and reply.kind == "send" else reply.kind
            member_id = reply.member_id
            if kind == "ephemeral" and member_id is None:
                member_id = await _speaker(session, origin, now)
            _enqueue(session, origin, reply, kind, member_id, now)
    return len(replies)


def _enqueue(
    session: AsyncSession,
    origin: Origin,
    reply: Outgoing,
    kind: str,
    member_id: int | None,
    now: datetime,
) -> None:
    target = reply.target
    outbox.enqueue(
        session,
        platform=target.platform if target else origin.platform,
        chat_external_id=target.chat_id if target else origin.chat_id,
        payload=reply.message.to_json(),
        now=now,
        kind=kind,
        is_direct=target.is_direct if target else origin.is_direct,
        member_id=member_id,
        card_key=reply.message.card_key,
        thread_id=target.thread_id if target else origin.thread_id,
    )


async def _speaker(session: AsyncSession, origin: Origin, now: datetime) -> int:
    # A refused first command rolls its member back, so the speaker may not exist yet.
    member, _ = await people.ensure_member(
        session, platform=origin.platform, external_id=origin.sender_id, name=None, now=now
    )
    assert member.id is not None
    return member.id

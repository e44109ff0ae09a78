"""Where a command's replies go: the answer to the event's own chat (held until the
adapter has had its chance to answer in the request), messages to other chats and people,
and card edits in every place the card was posted (or in the one place an edit names) — all
as outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.inbound.context import Context
from bot.outbound.targets import with_accounts
from bot.text.messages import ActionEvent, InboundEvent, Message, Outgoing
from storage.delivery import cards, outbox
from storage.tables import Outbox


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an event came from: answers without a target go back there."""

    platform: str
    chat_id: str
    is_direct: bool
    thread_id: str | None  # public answers
    private_thread_id: str | None  # private answers (where the clicked card is)
    event_id: str  # what the answers reply to

    @classmethod
    def of(cls, event: InboundEvent) -> Origin:
        private = event.card_thread_id if isinstance(event, ActionEvent) else event.thread_id
        return cls(
            event.platform,
            event.chat_id,
            event.is_direct,
            event.thread_id,
            private,
            event.event_id or "direct",
        )


def is_answer(item: Outgoing) -> bool:
    """Said back to the event's own chat (no target, not a card edit)."""
    return item.target is None and item.kind != "update" and item.message.card_key is None


def enqueue_answer(
    session: AsyncSession,
    origin: Origin,
    item: Outgoing,
    *,
    now: datetime,
    hold_until: datetime | None,
    account: str | None = None,
) -> Outbox:
    private = item.kind == "ephemeral"
    return outbox.enqueue(
        session,
        platform=origin.platform,
        chat_external_id=origin.chat_id,
        payload=item.message.to_json(),
        now=now,
        due=hold_until,
        kind=item.kind,
        is_direct=origin.is_direct,
        member_id=item.member_id,
        account_id=account,
        reply_to=origin.event_id,
        card_key=item.message.card_key,
        thread_id=origin.private_thread_id if private else origin.thread_id,
    )


def shown_here(items: Sequence[Outgoing], origin: Origin) -> tuple[Outgoing, ...]:
    """The card edits for the copy in the event's own chat: edits of every copy, or of this
    chat's; from a direct chat (whose id may not be the account a DM was sent to, as on
    Feishu) the copy in a DM on the platform."""
    updates = [i for i in items if i.kind == "update"]

    def here(item: Outgoing) -> bool:
        target = item.target
        return target is None or (target.platform, target.chat_id) == (
            origin.platform,
            origin.chat_id,
        )

    def direct(item: Outgoing) -> bool:
        target = item.target
        return target is not None and target.is_direct and target.platform == origin.platform

    found = [i for i in updates if here(i)] or (
        [i for i in updates if direct(i)] if origin.is_direct else []
    )
    return tuple(found or updates)


async def queue(session: AsyncSession, ctx: Context, item: Outgoing, now: datetime) -> None:
    payload = item.message.to_json()
    if item.kind == "update":
        assert item.message.card_key is not None
        places = (
            [(item.target.platform, item.target.chat_id, item.target.is_direct)]
            if item.target is not None
            else await cards.card_places(session, item.message.card_key)
        )
        for platform, chat_id, direct in places:
            outbox.enqueue(
                session,
                platform=platform,
                chat_external_id=chat_id,
                payload=payload,
                now=now,
                kind="update",
                is_direct=direct,
                card_key=item.message.card_key,
            )
        return
    target = item.target
    platform = target.platform if target else ctx.platform
    chat_id = target.chat_id if target else ctx.chat.external_id
    row = outbox.enqueue(
        session,
        platform=platform,
        chat_external_id=chat_id,
        payload=payload,
        now=now,
        kind=item.kind,
        is_direct=target.is_direct if target else ctx.chat.is_direct,
        member_id=item.member_id or (target.member_id if target else None),
        card_key=item.message.card_key,
        thread_id=target.thread_id if target else None,
    )
    await attach_file(session, row, item.message)


async def attach_file(session: AsyncSession, row: Outbox, message: Message) -> None:
    """A file message's bytes go beside its outbox row, in the same transaction."""
    if message.attachment is not None:
        await outbox.attach_file(session, row, message.attachment.data)


async def fill_accounts(
    session: AsyncSession, items: Sequence[Outgoing], locale: str = "en"
) -> list[Outgoing]:
    """Give every mention its platform accounts (and namesakes their platform)."""
    return [
        replace(item, message=await with_accounts(session, item.message, locale)) for item in items
    ]

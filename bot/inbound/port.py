"""The inbound port's contract with adapters: what ``Inbox.receive`` returns, the errors it
raises, the answer a card callback waits for, and how a stored event is written down."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from bot.inbound.dispatch import Outcome
from bot.text.messages import ActionEvent, InboundEvent, IncomingMessage, Outgoing

logger = logging.getLogger("concord.inbox")


class StoreUnavailable(Exception):
    """The event could not be stored: answer so the platform retries, or tell the user."""


class InboxClosed(StoreUnavailable):
    """Concord is shutting down and takes no new events."""


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int  # the stored event's row (0 for a duplicate)
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """What a command said back to its own chat, for an answer inside the request."""

    replies: tuple[Outgoing, ...]
    outbox_ids: tuple[int, ...] = ()
    failed: bool = False


class PeopleDirectory(Protocol):
    """An adapter's lookup of people's names (and profiles) before their event runs."""

    async def refresh(self, accounts: Sequence[str]) -> Mapping[str, str]: ...


def answer_of(outcome: Outcome) -> Answer:
    # A file cannot ride in a platform's response: it stays in the outbox, uploaded from there.
    kept = [
        (reply, row)
        for reply, row in zip(outcome.answer, outcome.outbox_ids, strict=False)
        if reply.message.attachment is None
    ]
    replies = tuple(reply for reply, _ in kept) + outcome.updates
    ids = tuple(row for _, row in kept)
    return Answer(replies, ids, failed=outcome.failed is not None)


async def with_directory_names(
    directory: PeopleDirectory | None, event: InboundEvent, *, limit_seconds: float
) -> InboundEvent:
    """Names from the adapter's directory, looked up outside any transaction; the names the
    platform sent when the lookup fails."""
    if directory is None:
        return event
    mentions = dict(event.mentions) if isinstance(event, IncomingMessage) else {}
    try:
        async with asyncio.timeout(limit_seconds):
            names = await directory.refresh([event.sender_id, *mentions])
    except Exception:
        logger.warning("people lookup failed on %s; using the names sent", event.platform)
        return event
    sender = names.get(event.sender_id) or event.sender_name
    if isinstance(event, IncomingMessage):
        known = {account: names.get(account) or name for account, name in mentions.items()}
        return replace(event, sender_name=sender, mentions=known)
    return replace(event, sender_name=sender)


def kind_of(event: InboundEvent) -> str:
    return "action" if isinstance(event, ActionEvent) else "message"


def encode(event: InboundEvent) -> str:
    data: dict[str, Any] = asdict(event)
    data["kind"] = kind_of(event)
    return json.dumps(data, ensure_ascii=False)


def decode(payload: str) -> InboundEvent:
    data = json.loads(payload)
    kind = data.pop("kind")
    if kind == "action":
        return ActionEvent(**data)
    return IncomingMessage(**data)

"""Proactive messages, exactly once: a notification key in the ledger plus an outbox row,
written in the caller's transaction. Personal pings wait out the recipient's quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.messages import Message, Target
from bot.targets import with_accounts
from storage import outbox


def parse_quiet(value: str) -> tuple[time, time]:
    start, _, end = value.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(now: datetime, zone: ZoneInfo, quiet: str) -> datetime | None:
    """If ``now`` falls in the quiet hours (e.g. ``22:00-08:00``) of ``zone``, when they end."""
    start, end = parse_quiet(quiet)
    local = now.astimezone(zone)
    moment = local.time()
    inside = (start <= moment < end) if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


async def send_once(
    session: AsyncSession,
    *,
    key: str,
    target: Target,
    message: Message,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue ``message`` unless ``key`` was used before. Returns True when queued.

    ``not_before`` delays delivery (quiet hours) without changing what is sent.
    """
    if not await outbox.claim_notification(session, key=key, now=to_utc(now)):
        return False
    message = await with_accounts(session, message)
    row = outbox.enqueue(
        session,
        platform=target.platform,
        chat_external_id=target.chat_id,
        payload=message.to_json(),
        now=to_utc(not_before or now),
        is_direct=target.is_direct,
        member_id=target.member_id,
        card_key=message.card_key,
    )
    await session.flush()
    await outbox.link_notification(session, key=key, outbox_id=row.id)
    return True

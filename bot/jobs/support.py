"""What the jobs share: one transaction per due item, local wall times, working-day steps,
and the two ways a proactive message goes out — into project groups, or as a personal ping
that waits out the recipient's quiet hours."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import targets
from bot.clock import to_aware_utc
from bot.messages import Message
from bot.notify import quiet_until, send_once
from bot.scheduler import JobContext
from bot.settings import Settings
from bot.workdays import WorkCalendar
from storage import people
from storage.db import transaction
from storage.tables import Chat, Member

logger = logging.getLogger("concord.jobs")

Item = TypeVar("Item")
Render = Callable[[str, ZoneInfo], Message]  # (locale, zone) → the message for that reader


async def each_item(
    ctx: JobContext, items: Iterable[Item], work: Callable[[AsyncSession, Item], Awaitable[None]]
) -> None:
    """Run ``work`` for every item in its own transaction; one failure does not stop the rest."""
    for item in items:
        try:
            async with transaction(ctx.sessions) as session:
                await work(session, item)
        except Exception:
            logger.exception("%s failed on %r at %s", work.__module__, item, ctx.now)


def wall_time(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """``hhmm`` on ``day`` in ``zone`` as an aware UTC instant."""
    moment = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone)
    return to_aware_utc(moment)


def working_days_before(calendar: WorkCalendar, day: date, n: int) -> date:
    """The ``n``-th working day before ``day`` (``n == 0``: ``day`` itself)."""
    for _ in range(n):
        for _gap in range(366):  # a calendar without working days must not loop forever
            day -= timedelta(days=1)
            if calendar.is_working_day(day):
                break
        else:
            raise ValueError(f"{calendar!r} has no working day in the year before {day}")
    return day


def working_days_after(calendar: WorkCalendar, day: date, n: int) -> date:
    """The ``n``-th working day after ``day``."""
    for _ in range(n):
        day = calendar.next_working_day(day)
    return day


def fmt_due(instant: datetime, has_time: bool, zone: ZoneInfo, now: datetime) -> str:
    """``12-05`` / ``12-05 18:00`` in the reader's zone, with the year when it differs."""
    local = to_aware_utc(instant).astimezone(zone)
    text = local.strftime("%m-%d" if local.year == now.astimezone(zone).year else "%Y-%m-%d")
    return f"{text} {local:%H:%M}" if has_time else text


async def post_to_groups(
    session: AsyncSession,
    *,
    settings: Settings,
    project_id: int,
    key: str,
    render: Render,
    now: datetime,
) -> int:
    """Post into every group of the project, in each group's language and zone. Group posts
    are not held by quiet hours: the jobs schedule them for working hours already."""
    sent = 0
    for target, chat in await targets.project_groups(session, project_id):
        message = render(targets.chat_locale(settings, chat), targets.chat_zone(settings, chat))
        if await send_once(
            session, key=f"{key}:chat:{chat.id}", target=target, message=message, now=now
        ):
            sent += 1
    return sent


async def ping(
    session: AsyncSession,
    *,
    settings: Settings,
    member: Member,
    key: str,
    render: Render,
    now: datetime,
) -> bool:
    """A personal DM, held until the end of the member's quiet hours if it is night there."""
    target = await targets.dm_target(session, member)
    if target is None:
        return False
    zone = targets.member_zone(settings, member)
    quiet = await quiet_hours(session, settings, member, target.platform)
    return await send_once(
        session,
        key=f"{key}:dm:{member.id}",
        target=target,
        message=render(targets.member_locale(settings, member, target.platform), zone),
        now=now,
        not_before=quiet_until(now, zone, quiet),
    )


async def quiet_hours(
    session: AsyncSession, settings: Settings, member: Member, platform: str
) -> str:
    """The member's quiet hours: ``settings quiet:…`` in their DM with the bot, else the
    configured default."""
    chat: Chat | None = await people.direct_chat(
        session, member_id=member.id or 0, platform=platform
    )
    return (
        chat.quiet_hours if chat is not None and chat.quiet_hours else settings.schedule.quiet_hours
    )

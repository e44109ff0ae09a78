"""What the jobs share: one transaction per due item (a broken item is logged and skipped),
local wall times and working-day steps. Messages go out through ``bot.outbound.notify.to_groups`` and
``bot.outbound.notify.to_person``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_aware_utc
from bot.dates.workdays import WorkCalendar
from bot.scheduler import JobContext
from storage.audit import queries as audit_log
from storage.db import transaction

logger = logging.getLogger("concord.jobs")

Item = TypeVar("Item")


async def each_item(
    ctx: JobContext,
    label: str,
    items: Iterable[Item],
    work: Callable[[AsyncSession, Item], Awaitable[None]],
) -> None:
    """Run ``work`` for every item in its own transaction. A failing item (bad data, a
    message that does not render) is rolled back, logged with ``label`` and the item, and
    skipped: the other items still go out and the tick goes on."""
    for item in items:
        try:
            async with transaction(ctx.sessions) as session:
                await work(session, item)
        except Exception:
            logger.exception("%s %r failed at %s; skipped", label, item, ctx.now)


async def each_due(
    ctx: JobContext,
    label: str,
    scan: Callable[[AsyncSession], Awaitable[Iterable[Item]]],
    work: Callable[[AsyncSession, Item], Awaitable[None]],
) -> None:
    """``scan`` for what is due (one short transaction), then ``each_item`` over it."""
    async with transaction(ctx.sessions) as session:
        items = list(await scan(session))
    await each_item(ctx, label, items, work)


def audit(
    ctx: JobContext,
    session: AsyncSession,
    *,
    project_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    **detail: object,
) -> None:
    """An audit row for what a job did: at the tick's time, with no actor (the scheduler)."""
    audit_log.record(
        session,
        at=ctx.now,
        actor_id=None,
        platform=None,
        project_id=project_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        **detail,
    )


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

"""The escalation ladder's tick (domain §5): ``bot.escalation.advance_due`` moves every
escalation whose level time ran out, @-mentions the next level's people, and repeats L3 to
the sponsor once per working day. One replica at a time runs it (a PostgreSQL advisory lock);
the announcements are keyed, so a repeat never sends twice."""

from __future__ import annotations

from bot import escalation
from bot.scheduler import JobContext
from storage import schedule
from storage.db import transaction


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        if not await schedule.try_job_lock(session, "escalations"):
            return  # another replica is moving the ladder right now
        await escalation.advance_due(
            session, settings=ctx.settings, calendar=ctx.calendar, now=ctx.now
        )

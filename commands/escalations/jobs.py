"""The escalation ladder's tick (domain §5): ``commands.escalations.ladder.advance`` moves every
escalation whose level time ran out, @-mentions the next level's people, and repeats L3 to
the sponsor once per working day. Each escalation runs in its own transaction, claimed so
that replicas split them; a broken one is logged and skipped. The announcements are keyed,
so a repeat never sends twice."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.scheduler import JobContext
from commands.escalations import ladder as escalation


async def run(ctx: JobContext) -> None:
    async def scan(session: AsyncSession) -> list[int]:
        return await escalation.due_ids(session, now=ctx.now)

    async def work(session: AsyncSession, escalation_id: int) -> None:
        await escalation.advance(
            session,
            settings=ctx.settings,
            calendar=ctx.calendar,
            escalation_id=escalation_id,
            now=ctx.now,
        )

    await support.each_due(ctx, "escalation", scan, work)

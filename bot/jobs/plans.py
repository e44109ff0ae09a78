"""The communication-plan job (domain §6): every plan item whose ``next_due_at`` has come is
posted into each project group (in the group's language; the group's quiet hours respected),
exactly once per occurrence and group (key ``plan:{id}:{local date}:{chat id}``), and
``next_due_at`` moves to the next occurrence after now. After downtime an item is posted once,
not once per missed occurrence. Each item runs in its own transaction.
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import targets
from bot.meetings import project_zone
from bot.notify import quiet_until, send_once
from bot.plans import next_due, post
from bot.scheduler import JobContext
from storage import audit, plans
from storage.db import transaction
from storage.tables import Member, PlanItem

logger = logging.getLogger("concord.jobs.plans")


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        due = [i.id for i in await plans.due_items(session, now=ctx.now) if i.id is not None]
    for item_id in due:
        try:
            async with transaction(ctx.sessions) as session:
                await post_item(session, ctx, item_id)
        except Exception:
            logger.exception("plan item %s failed", item_id)


async def post_item(session: AsyncSession, ctx: JobContext, item_id: int) -> None:
    item = await session.get(PlanItem, item_id, with_for_update=True)
    if item is None or item.next_due_at is None or item.next_due_at > ctx.now:
        return  # removed, or another replica advanced it first
    zone = await project_zone(session, ctx.settings, item.project_id)
    day = item.next_due_at.astimezone(zone).date()
    owner = await session.get(Member, item.owner_id) if item.owner_id else None
    groups = await targets.project_groups(session, item.project_id)
    for target, chat in groups:
        chat_zone = targets.chat_zone(ctx.settings, chat)
        await send_once(
            session,
            key=f"plan:{item.id}:{day.isoformat()}:{chat.id}",
            target=target,
            message=post(targets.chat_locale(ctx.settings, chat), item, owner).build(),
            now=ctx.now,
            not_before=quiet_until(
                ctx.now, chat_zone, chat.quiet_hours or ctx.settings.schedule.quiet_hours
            ),
        )
    due_at = item.next_due_at
    item.next_due_at = next_due(item, zone, ctx.calendar, after=max(ctx.now, due_at))
    session.add(item)
    audit.record(
        session,
        at=ctx.now,
        actor_id=None,
        platform=None,
        project_id=item.project_id,
        action="plan.post",
        entity="plan_item",
        entity_id=item.id,
        due_at=due_at.isoformat(),
        next_due_at=item.next_due_at.isoformat(),
        groups=len(groups),
    )

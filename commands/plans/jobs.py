"""The communication-plan job (domain §6): every plan item whose ``next_due_at`` has come is
posted into each project group (in the group's language; the group's quiet hours respected),
exactly once per occurrence and group (key ``plan:{id}:{local date}:{chat id}``), and
``next_due_at`` moves to the next occurrence after now. After downtime an item is posted once,
not once per missed occurrence. Each item runs in its own transaction; a broken one is
logged and skipped.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.outbound import targets
from bot.outbound.notify import NoticeKey, to_groups
from bot.scheduler import JobContext
from bot.text.messages import Message
from commands.plans.schedule import next_due, post
from storage.plans import queries as plans
from storage.tables import Member, PlanItem


async def run(ctx: JobContext) -> None:
    async def scan(session: AsyncSession) -> list[int]:
        return [i.id for i in await plans.due_items(session, now=ctx.now) if i.id is not None]

    async def work(session: AsyncSession, item_id: int) -> None:
        await post_item(session, ctx, item_id)

    await support.each_due(ctx, "plan item", scan, work)


async def post_item(session: AsyncSession, ctx: JobContext, item_id: int) -> None:
    item = await session.get(PlanItem, item_id, with_for_update=True)
    if item is None or item.next_due_at is None or item.next_due_at > ctx.now:
        return  # removed, or another replica advanced it first
    zone = await targets.project_zone(session, ctx.settings, item.project_id)
    day = item.next_due_at.astimezone(zone).date()
    owner = await session.get(Member, item.owner_id) if item.owner_id else None

    def render(locale: str, _zone: ZoneInfo) -> Message:
        return post(locale, item, owner).build()

    groups = await to_groups(
        session,
        ctx.settings,
        project_id=item.project_id,
        key=NoticeKey(f"plan:{item.id}:{day.isoformat()}", tag_groups=False),
        render=render,
        now=ctx.now,
        ping=True,
        concerns=[item.owner_id],
    )
    due_at = item.next_due_at
    item.next_due_at = next_due(item, zone, ctx.calendar, after=max(ctx.now, due_at))
    session.add(item)
    support.audit(
        ctx,
        session,
        project_id=item.project_id,
        action="plan.post",
        entity="plan_item",
        entity_id=item.id,
        due_at=due_at.isoformat(),
        next_due_at=item.next_due_at.isoformat(),
        groups=groups,
    )

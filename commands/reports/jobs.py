"""The weekly digest into every project group at the group's configured local time (default
Friday 15:00 in the group's zone; ``settings digest:"fri 15:00"`` changes it).

Key ``digest:{chat}:{iso-week}``: one digest per group and week. After downtime the week's
digest goes out once, late; a week that is over is not sent any more. A group that joined
after this week's slot waits for next week.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.outbound import targets
from bot.outbound.notify import send_to
from bot.scheduler import JobContext
from bot.text.messages import Message
from commands.reports import digest
from storage import schedule
from storage.db import transaction
from storage.reports.digest import DigestRows
from storage.rows import id_of
from storage.tables import Chat

CHUNK = 200  # projects per batch of digest queries


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        due = await due_chats(session, ctx)
    for start in range(0, len(due), CHUNK):
        await post_batch(ctx, due[start : start + CHUNK])


async def due_chats(session: AsyncSession, ctx: JobContext) -> list[tuple[Chat, str]]:
    """Groups whose digest slot of this week has passed and whose digest is not out yet.

    Per distinct digest setting (usually one or two), so before the slot nothing is loaded,
    and after it only the groups still waiting: the cost follows the digests due.
    """
    due: list[tuple[Chat, str]] = []
    for slot in await schedule.digest_slots(session):
        zone = ZoneInfo(slot[2] or ctx.settings.timezone)
        moment = slot_time(ctx, slot, zone)
        if ctx.now < moment:
            continue
        week = digest.iso_week(ctx.now, zone)
        chats = await schedule.digest_pending(session, slot=slot, week=week, created_before=moment)
        due.extend((chat, f"digest:{chat.id}:{week}") for chat in chats)
    return due


def slot_time(
    ctx: JobContext, slot: tuple[int | None, str | None, str | None], zone: ZoneInfo
) -> datetime:
    """This week's digest moment for a (weekday, time, zone) setting."""
    sched = ctx.settings.schedule
    weekday = slot[0] if slot[0] is not None else sched.digest_weekday
    today = ctx.now.astimezone(zone).date()
    day = today - timedelta(days=today.weekday() - weekday)
    return support.wall_time(day, slot[1] or sched.digest_time, zone)


async def post_batch(ctx: JobContext, batch: list[tuple[Chat, str]]) -> None:
    async with transaction(ctx.sessions) as session:
        rows = await digest.load(session, sorted({c.project_id or 0 for c, _ in batch}), ctx.now)

    async def post(session: AsyncSession, item: tuple[Chat, str]) -> None:
        await post_one(session, ctx, rows, *item)

    await support.each_item(ctx, "digest", batch, post)


async def post_one(
    session: AsyncSession, ctx: JobContext, rows: DigestRows, chat: Chat, key: str
) -> None:
    if await schedule.claim(session, Chat, id_of(chat)) is None:
        return  # another replica is posting this group's digest
    if chat.project_id not in rows.projects:
        return
    project_id = chat.project_id

    def render(locale: str, zone: ZoneInfo) -> Message:
        return digest.render(rows, project_id, locale=locale, zone=zone, now=ctx.now)

    # Not a ping: the group chose the digest's moment (``settings digest:``).
    audience = targets.group_audience(ctx.settings, chat)
    await send_to(session, audience, key=key, render=render, now=ctx.now, ping=False)

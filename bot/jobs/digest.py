"""The weekly digest into every project group at the group's configured local time (default
Friday 15:00 in the group's zone; ``settings digest:"fri 15:00"`` changes it).

Key ``digest:{chat}:{iso-week}``: one digest per group and week. After downtime the week's
digest goes out once, late; a week that is over is not sent any more. A group that joined
after this week's slot waits for next week.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import digest, targets
from bot.clock import to_aware_utc
from bot.jobs import support
from bot.messages import Target
from bot.notify import send_once
from bot.scheduler import JobContext
from storage import outbox, schedule
from storage.db import transaction
from storage.digest import DigestRows
from storage.tables import Chat

CHUNK = 200  # projects per batch of digest queries


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        due = await due_chats(session, ctx)
    for start in range(0, len(due), CHUNK):
        await post_batch(ctx, due[start : start + CHUNK])


async def due_chats(session: AsyncSession, ctx: JobContext) -> list[tuple[Chat, str]]:
    """Groups whose digest slot of this week has passed and whose digest is not out yet."""
    due: list[tuple[Chat, str]] = []
    for chat in await schedule.group_chats(session):
        key = digest_key(ctx, chat)
        if key is not None:
            due.append((chat, key))
    sent = await outbox.existing_keys(session, [key for _, key in due])
    return [(chat, key) for chat, key in due if key not in sent]


def digest_key(ctx: JobContext, chat: Chat) -> str | None:
    sched = ctx.settings.schedule
    zone = targets.chat_zone(ctx.settings, chat)
    today = ctx.now.astimezone(zone).date()
    weekday = chat.digest_weekday if chat.digest_weekday is not None else sched.digest_weekday
    slot_day = today - timedelta(days=today.weekday() - weekday)
    slot = support.wall_time(slot_day, chat.digest_time or sched.digest_time, zone)
    if ctx.now < slot or to_aware_utc(chat.created_at) > slot:
        return None
    return f"digest:{chat.id}:{digest.iso_week(ctx.now, zone)}"


async def post_batch(ctx: JobContext, batch: list[tuple[Chat, str]]) -> None:
    async with transaction(ctx.sessions) as session:
        rows = await digest.load(session, sorted({c.project_id or 0 for c, _ in batch}), ctx.now)

    async def post(session: AsyncSession, item: tuple[Chat, str]) -> None:
        await post_one(session, ctx, rows, *item)

    await support.each_item(ctx, batch, post)


async def post_one(
    session: AsyncSession, ctx: JobContext, rows: DigestRows, chat: Chat, key: str
) -> None:
    if await schedule.claim(session, Chat, chat.id or 0) is None:
        return  # another replica is posting this group's digest
    if chat.project_id not in rows.projects:
        return
    message = digest.render(
        rows,
        chat.project_id,
        locale=targets.chat_locale(ctx.settings, chat),
        zone=targets.chat_zone(ctx.settings, chat),
        now=ctx.now,
    )
    target = Target(chat.platform, chat.external_id, name=chat.name)
    await send_once(session, key=key, target=target, message=message, now=ctx.now)

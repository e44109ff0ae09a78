"""Opt-in daily personal reminders (``member @me daily:on``): at ``daily_time`` (09:00) in the
member's zone on working days, a DM listing their overdue tasks and those due within the next
``due_soon_days`` working days. Nothing to say, nothing sent.

Key ``daily:{member}:{date}`` (the member's local date): once a day, on any number of
replicas; after downtime only today's reminder goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.dates.clock import to_aware_utc
from bot.outbound import targets
from bot.outbound.notify import NoticeKey, to_person
from bot.scheduler import JobContext
from bot.text import timefmt
from bot.text.i18n import t
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from storage import schedule
from storage.db import transaction
from storage.delivery import ledger
from storage.rows import id_of
from storage.tables import Member, Project, Task


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        due: list[tuple[int, str]] = []
        for member in await schedule.daily_subscribers(session):
            zone = await targets.person_zone(session, ctx.settings, member)
            if key := daily_key(ctx, member, zone):
                due.append((id_of(member), key))
        sent = await ledger.existing_keys(session, [key for _, key in due])

    async def work(session: AsyncSession, item: tuple[int, str]) -> None:
        await remind(session, ctx, *item)

    await support.each_item(ctx, "daily reminder", [d for d in due if d[1] not in sent], work)


def daily_key(ctx: JobContext, member: Member, zone: ZoneInfo) -> str | None:
    """The key of today's reminder once ``daily_time`` has come in the member's zone."""
    local = ctx.now.astimezone(zone)
    if not ctx.calendar.is_working_day(local.date()):
        return None
    if local.strftime("%H:%M") < ctx.settings.schedule.daily_time:
        return None
    return f"daily:{member.id}:{local.date().isoformat()}"


async def remind(session: AsyncSession, ctx: JobContext, member_id: int, key: str) -> None:
    member = await schedule.claim(session, Member, member_id)
    if member is None or not member.daily_reminders:
        return
    zone = await targets.person_zone(session, ctx.settings, member)
    if daily_key(ctx, member, zone) != key:
        return  # the member's zone changed since the scan
    if not await ledger.claim_notification(session, key=key, now=ctx.now):
        return
    tasks = await schedule.open_tasks_of_members(
        session, {member_id}, due_before=horizon(ctx, zone)
    )
    if not tasks:
        return
    projects = await schedule.projects_by_ids(session, {t.project_id for t in tasks})
    summary = Summary(ctx.now, member, list(tasks), projects)
    await to_person(
        session, ctx.settings, member=member, key=NoticeKey(key), render=summary.render, now=ctx.now
    )


def horizon(ctx: JobContext, zone: ZoneInfo) -> datetime:
    """The end of the ``due_soon_days``-th working day from today, in the member's zone."""
    today = ctx.now.astimezone(zone).date()
    last = support.working_days_after(ctx.calendar, today, ctx.settings.schedule.due_soon_days)
    return support.wall_time(last + timedelta(days=1), "00:00", zone)


@dataclass(frozen=True)
class Summary:
    now: datetime
    member: Member
    tasks: list[Task]
    projects: dict[int, Project]

    def render(self, locale: str, zone: ZoneInfo) -> Message:
        msg = MessageBuilder()
        today = self.now.astimezone(zone).date()
        msg.header(t(locale, "daily.header", name=self.member.name, date=today.isoformat()))
        late = [x for x in self.tasks if x.due_at and to_aware_utc(x.due_at) < self.now]
        soon = [x for x in self.tasks if x not in late]
        for key, group in (("daily.overdue", late), ("daily.due_soon", soon)):
            if group:
                lines = [t(locale, key, count=len(group))]
                msg.lines(lines + [self.line(locale, zone, task) for task in group])
        msg.context(t(locale, "daily.footer", name=self.member.name))
        return msg.build()

    def line(self, locale: str, zone: ZoneInfo, task: Task) -> str:
        assert task.due_at is not None
        project = self.projects.get(task.project_id)
        text = t(
            locale,
            "daily.line",
            ref=f"T{task.number}",
            title=task.title,
            project=project.name if project else "—",
            when=timefmt.moment_in(task.due_at, zone, self.now, task.due_has_time),
        )
        due = to_aware_utc(task.due_at)
        if due < self.now:
            text += " " + t(locale, "daily.late", days=(self.now - due).days + 1)
        return "• " + text

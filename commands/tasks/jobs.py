"""Task reminders (domain §1).

* **Due soon**: at ``reminder_time`` (09:00) in the project group's zone on the working day
  ``due_soon_days`` before the deadline — a post in the project group mentioning the owner
  (and the PMs), and a personal ping to the owner.
* **Overdue**: once the task is late by more than ``overdue_grace_days`` working days (at
  ``reminder_time`` of the next working day) — a post mentioning the owner and the PMs, pings
  to both, and an escalation opened (or noted) through ``commands.escalations.ladder``.

Keys: ``task:{id}:{due_soon|overdue}:{deadline}`` (per reader ``…:chat:{chat id}`` and
``…:dm:{member id}``) — a moved deadline earns new reminders; after downtime each key is sent
once, if it fell due within ``catch_up_days``. A group in another zone than the project's,
where 09:00 here is night there, gets its post when its quiet hours end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.dates.clock import to_aware_utc
from bot.outbound import targets
from bot.outbound.notify import NoticeKey, to_groups, to_person
from bot.scheduler import JobContext
from bot.settings import Settings
from bot.text import timefmt
from bot.text.i18n import t
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from commands.escalations import ladder
from storage import schedule
from storage.db import transaction
from storage.delivery import ledger
from storage.people import queries as people
from storage.rows import id_of
from storage.tables import Member, Project, Task, TaskStatus


@dataclass(frozen=True)
class Due:
    task_id: int
    kind: str  # due_soon / overdue
    key: str


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        due = await find_due(session, ctx)

    async def work(session: AsyncSession, item: Due) -> None:
        await remind(session, ctx, item)

    await support.each_item(ctx, "task reminder", due, work)


async def find_due(session: AsyncSession, ctx: JobContext) -> list[Due]:
    """Reminders due now and not sent yet: one indexed range scan plus one key lookup."""
    start, end = scan_window(ctx.settings, ctx.now)
    tasks = await schedule.open_tasks_due_between(session, start=start, end=end)
    zones = await project_zones(session, ctx, {t.project_id for t in tasks})
    due = [d for task in tasks if (d := due_reminder(ctx, task, zones[task.project_id]))]
    sent = await ledger.existing_keys(session, [d.key for d in due])
    return [d for d in due if d.key not in sent]


def scan_window(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """Deadlines that can have a reminder due now: overdue ones back to the catch-up limit
    (plus room for holidays in the working-day count), due-soon ones a holiday ahead."""
    sched = settings.schedule
    back = timedelta(days=sched.catch_up_days + 2 * sched.overdue_grace_days + 10)
    ahead = timedelta(days=2 * sched.due_soon_days + 11)
    return now - back, now + ahead


async def project_zones(
    session: AsyncSession, ctx: JobContext, project_ids: set[int]
) -> dict[int, ZoneInfo]:
    """Each project's zone: its first group's, else the configured default."""
    zones = {pid: ZoneInfo(ctx.settings.timezone) for pid in project_ids}
    for chat in reversed(await schedule.group_chats(session, project_ids)):
        zones[chat.project_id or 0] = targets.chat_zone(ctx.settings, chat)
    return zones


def due_reminder(ctx: JobContext, task: Task, zone: ZoneInfo) -> Due | None:
    if task.due_at is None or task.id is None:
        return None
    sched, now = ctx.settings.schedule, ctx.now
    due_at = to_aware_utc(task.due_at)
    due_day = due_at.astimezone(zone).date()
    stamp = f"{due_at:%Y%m%dT%H%M}"
    late_day = support.working_days_after(ctx.calendar, due_day, sched.overdue_grace_days + 1)
    overdue_at = max(
        support.wall_time(late_day, sched.reminder_time, zone),
        due_at + timedelta(days=sched.overdue_grace_days),
    )
    if now >= overdue_at:
        if now - overdue_at > timedelta(days=sched.catch_up_days):
            return None
        return Due(task.id, "overdue", f"task:{task.id}:overdue:{stamp}")
    soon_day = support.working_days_before(ctx.calendar, due_day, sched.due_soon_days)
    soon_at = support.wall_time(soon_day, sched.reminder_time, zone)
    # A task created inside the window was just announced with its deadline: no echo.
    if soon_at <= now < due_at and to_aware_utc(task.created_at) < soon_at:
        return Due(task.id, "due_soon", f"task:{task.id}:due_soon:{stamp}")
    return None


async def remind(session: AsyncSession, ctx: JobContext, due: Due) -> None:
    task = await schedule.claim(session, Task, due.task_id)
    if (
        task is None
        or task.status == TaskStatus.DONE
        or due_reminder_key(ctx, task, due) != due.key
    ):
        return  # another replica has it, or it changed since the scan
    if not await ledger.claim_notification(session, key=due.key, now=ctx.now):
        return
    notice = await notice_for(session, ctx, task, due.kind)
    key = NoticeKey(due.key)
    await to_groups(
        session,
        ctx.settings,
        project_id=task.project_id,
        key=key,
        render=notice.group,
        now=ctx.now,
        ping=True,
    )
    for member in notice.recipients():
        await to_person(
            session, ctx.settings, member=member, key=key, render=notice.personal, now=ctx.now
        )
    if due.kind == "overdue":
        await escalate(session, ctx, task, notice.project)


async def notice_for(session: AsyncSession, ctx: JobContext, task: Task, kind: str) -> Notice:
    """The reminder with its people: the owner, and the PMs other than the owner."""
    project = await session.get(Project, task.project_id)
    assert project is not None
    pms = (await schedule.pm_ids_of(session, {task.project_id})).get(task.project_id, [])
    found = await people.members_by_ids(session, {i for i in (task.owner_id, *pms) if i})
    managers = [found[i] for i in pms if i in found and i != task.owner_id]
    return Notice(ctx, task, project, found.get(task.owner_id or 0), managers, kind)


def due_reminder_key(ctx: JobContext, task: Task, due: Due) -> str | None:
    """The key the locked task earns now (the deadline may have moved since the scan)."""
    if task.due_at is None:
        return None
    return f"task:{task.id}:{due.kind}:{to_aware_utc(task.due_at):%Y%m%dT%H%M}"


async def escalate(session: AsyncSession, ctx: JobContext, task: Task, project: Project) -> None:
    due_at, has_time = task.due_at, task.due_has_time
    assert due_at is not None

    def reason(locale: str, zone: ZoneInfo) -> str:
        when = timefmt.moment_in(due_at, zone, ctx.now, has_time)
        return t(locale, "reminder.escalation_reason", when=when)

    await ladder.escalate(
        session,
        ctx,
        project_id=id_of(project),
        subject_type="task",
        subject_id=id_of(task),
        reason=reason,
    )


@dataclass(frozen=True)
class Notice:
    """The reminder's words for each reader (group or person, in their language and zone)."""

    ctx: JobContext
    task: Task
    project: Project
    owner: Member | None
    managers: list[Member]
    kind: str

    def recipients(self) -> list[Member]:
        """Personal pings: the owner when due soon; owner and PMs when overdue."""
        wanted = [self.owner] if self.kind == "due_soon" else [self.owner, *self.managers]
        return [m for m in wanted if m is not None]

    def _params(self, locale: str, zone: ZoneInfo, msg: MessageBuilder) -> dict[str, object]:
        assert self.task.due_at is not None
        late = self.ctx.now - to_aware_utc(self.task.due_at)
        owner = self.owner
        return {
            "ref": f"T{self.task.number}",
            "title": self.task.title,
            "project": self.project.name,
            "when": timefmt.moment_in(self.task.due_at, zone, self.ctx.now, self.task.due_has_time),
            "days": late.days + 1,
            "owner": msg.mention(owner.id, owner.name) if owner else t(locale, "reminder.nobody"),
            "pms": " ".join(msg.mention(m.id, m.name) for m in self.managers),
        }

    def group(self, locale: str, zone: ZoneInfo) -> Message:
        msg = MessageBuilder()
        msg.section(t(locale, f"reminder.{self.kind}", **self._params(locale, zone, msg)))
        return msg.build()

    def personal(self, locale: str, zone: ZoneInfo) -> Message:
        msg = MessageBuilder()
        msg.section(t(locale, f"reminder.{self.kind}_dm", **self._params(locale, zone, msg)))
        return msg.build()

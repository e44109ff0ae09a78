"""Task reminders (domain §1).

* **Due soon**: at ``reminder_time`` (09:00) in the project group's zone on the working day
  ``due_soon_days`` before the deadline — a post in the project group mentioning the owner
  (and the PMs), and a personal ping to the owner.
* **Overdue**: once the task is late by more than ``overdue_grace_days`` working days (at
  ``reminder_time`` of the next working day) — a post mentioning the owner and the PMs, pings
  to both, and an escalation opened (or noted) through ``commands.escalations.ladder``.

Keys: ``task:{id}:{due_soon|overdue}:{deadline}`` (per reader ``…:chat:{chat id}`` and
``…:dm:{member id}``) — a moved deadline earns new reminders; after downtime each key is sent
once, if it fell due within ``catch_up_days``.

Each group of the project is reminded at ``reminder_time`` in *its own* zone (a project
bound to a group in Shanghai and one in New York reminds each at 09:00 there), as its own
item; the personal pings and the escalation go with the project's clock (its first group).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.dates.clock import to_aware_utc
from bot.outbound import targets
from bot.outbound.notify import NoticeKey, send_to, to_person
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
from storage.tables import Chat, Member, Project, Task, TaskStatus


@dataclass(frozen=True)
class Due:
    task_id: int
    kind: str  # due_soon / overdue
    key: str  # the reminder's base key
    chat_id: int | None = None  # one group's post; None: the pings and the escalation

    @property
    def ledger_key(self) -> str:
        return self.key if self.chat_id is None else f"{self.key}:chat:{self.chat_id}"


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        due = await find_due(session, ctx)

    async def work(session: AsyncSession, item: Due) -> None:
        await remind(session, ctx, item)

    await support.each_item(ctx, "task reminder", due, work)


async def find_due(session: AsyncSession, ctx: JobContext) -> list[Due]:
    """Reminders due now and not sent yet: one indexed range scan plus one key lookup.
    Per task, its groups' posts first, then the pings (the order people read them in)."""
    start, end = scan_window(ctx.settings, ctx.now)
    tasks = await schedule.open_tasks_due_between(session, start=start, end=end)
    groups = await project_groups(session, ctx, {t.project_id for t in tasks})
    due: list[Due] = []
    for task in tasks:
        chats = groups.get(task.project_id, [])
        for chat in chats:
            if found := due_reminder(ctx, task, targets.chat_zone(ctx.settings, chat)):
                due.append(replace(found, chat_id=id_of(chat)))
        zone = (
            targets.chat_zone(ctx.settings, chats[0]) if chats else ZoneInfo(ctx.settings.timezone)
        )
        if found := due_reminder(ctx, task, zone):
            due.append(found)
    sent = await ledger.existing_keys(session, [d.ledger_key for d in due])
    return [d for d in due if d.ledger_key not in sent]


def scan_window(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """Deadlines that can have a reminder due now: overdue ones back to the catch-up limit
    (plus room for holidays in the working-day count), due-soon ones a holiday ahead."""
    sched = settings.schedule
    back = timedelta(days=sched.catch_up_days + 2 * sched.overdue_grace_days + 10)
    ahead = timedelta(days=2 * sched.due_soon_days + 11)
    return now - back, now + ahead


async def project_groups(
    session: AsyncSession, ctx: JobContext, project_ids: set[int]
) -> dict[int, list[Chat]]:
    """Each project's groups, oldest first (the first one's zone is the project's)."""
    groups: dict[int, list[Chat]] = {}
    for chat in await schedule.group_chats(session, project_ids):
        groups.setdefault(chat.project_id or 0, []).append(chat)
    return groups


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
    notice = await notice_for(session, ctx, task, due.kind)
    key = NoticeKey(due.key)
    if due.chat_id is not None:
        await remind_group(session, ctx, due, notice)
        return
    if not await ledger.claim_notification(session, key=due.key, now=ctx.now):
        return
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


async def remind_group(session: AsyncSession, ctx: JobContext, due: Due, notice: Notice) -> None:
    """One group's post, at the reminder time of its zone (a group that takes only what
    concerns its own people, or only the digest, may pass: its key is spent all the same,
    so the item is not looked at again)."""
    chat = await session.get(Chat, due.chat_id)
    if chat is None or chat.project_id != notice.task.project_id:
        await ledger.claim_notification(session, key=due.ledger_key, now=ctx.now)
        return  # unbound since the scan
    audience = targets.group_audience(ctx.settings, chat)
    if not await targets.takes(session, audience, concerns={notice.task.owner_id}):
        await ledger.claim_notification(session, key=due.ledger_key, now=ctx.now)
        return
    await send_to(
        session, audience, key=due.ledger_key, render=notice.group, now=ctx.now, ping=True
    )


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

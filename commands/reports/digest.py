"""The weekly digest (周报, domain §6) as a neutral message, for one reader's language and zone.

``load`` fetches the rows of many projects in a fixed number of queries; ``render`` is pure:
progress by phase, done this week, overdue and blocked tasks with owners, open issues and SLA
breaches, pending approvals, upcoming milestones and meetings. Owners are named, not
@-mentioned: reminders do the pinging, the digest informs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_aware_utc
from bot.text import timefmt
from bot.text.i18n import Translator
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from storage.reports import digest as store
from storage.reports.digest import DigestRows, TaskLine
from storage.tables import ApprovalStep, Issue, Meeting, Member, Phase, TaskStatus, Urgency

MAX_LINES = 8
MILESTONE_DAYS = 14
MEETING_DAYS = 7


async def load(session: AsyncSession, project_ids: Sequence[int], now: datetime) -> DigestRows:
    """The rows for these projects' digests at ``now`` (a week and a day of history covers
    every zone's "this week")."""
    return await store.load(
        session,
        project_ids=project_ids,
        now=now,
        done_since=now - timedelta(days=8),
        meetings_until=now + timedelta(days=MEETING_DAYS),
    )


def week_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 of ``now``'s week in ``zone``, as UTC."""
    local = now.astimezone(zone).date()
    monday = local - timedelta(days=local.weekday())
    return to_aware_utc(datetime.combine(monday, time(0, 0), tzinfo=zone))


def iso_week(now: datetime, zone: ZoneInfo) -> str:
    year, week, _ = now.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def render(
    rows: DigestRows, project_id: int, *, locale: str, zone: ZoneInfo, now: datetime
) -> Message:
    view = View(rows, project_id, Translator(locale), zone, now)
    msg = MessageBuilder()
    view.header(msg)
    msg.lines(view.progress())
    busy = False
    for section in (view.done, view.attention, view.issues, view.approvals):
        lines = section()
        busy = busy or bool(lines)
        msg.lines(lines)
    upcoming = view.milestones() + view.meetings()
    msg.lines(upcoming)
    if not busy:
        msg.section(view.t("digest.quiet"))
    msg.context(view.t("digest.footer"))
    return msg.build()


@dataclass(frozen=True)
class View:
    rows: DigestRows
    project_id: int
    t: Translator
    zone: ZoneInfo
    now: datetime

    def header(self, msg: MessageBuilder) -> None:
        project = self.rows.projects[self.project_id]
        start = week_start(self.now, self.zone).astimezone(self.zone)
        msg.header(
            self.t(
                "digest.header",
                ref=f"P{self.project_id}",
                name=project.name,
                week=iso_week(self.now, self.zone),
                start=f"{start:%m-%d}",
                end=f"{start + timedelta(days=6):%m-%d}",
            )
        )

    def when(self, instant: datetime | None, has_time: bool = True) -> str:
        return timefmt.moment_in(instant, self.zone, self.now, has_time) if instant else "—"

    def name(self, member_id: int | None) -> str:
        member: Member | None = self.rows.members.get(member_id or 0)
        return member.name if member else self.t("digest.nobody")

    def capped(self, title: str, lines: list[str]) -> list[str]:
        if not lines:
            return []
        extra = len(lines) - MAX_LINES
        shown = lines[:MAX_LINES] + ([self.t("digest.more", count=extra)] if extra > 0 else [])
        return [title, *shown]

    def progress(self) -> list[str]:
        counts = self.rows.counts.get(self.project_id, {})
        total = sum(counts.values())
        done = sum(n for (_, status), n in counts.items() if status == TaskStatus.DONE)
        lines = [self.t("digest.progress", done=done, total=total, percent=_percent(done, total))]
        phases: list[Phase | None] = [*self.rows.phases.get(self.project_id, []), None]
        for phase in phases:
            line = self.phase_line(phase, counts)
            if line:
                lines.append(line)
        return lines

    def phase_line(self, phase: Phase | None, counts: dict[tuple[int | None, str], int]) -> str:
        key = phase.id if phase else None
        total = sum(n for (p, _), n in counts.items() if p == key)
        if phase is None and total == 0:
            return ""
        done = counts.get((key, TaskStatus.DONE), 0)
        line = self.t(
            "digest.phase",
            name=phase.name if phase else self.t("digest.no_phase"),
            done=done,
            total=total,
            percent=_percent(done, total),
        )
        if phase is not None and phase.milestone is not None:
            reached = phase.milestone_reached_on is not None
            label = "digest.milestone_reached" if reached else "digest.milestone"
            line += " · " + self.t(label, date=f"{phase.milestone:%m-%d}")
        return line

    def task_line(self, task: TaskLine, mark: str) -> str:
        line = self.t(
            "digest.task_line",
            ref=f"T{task.number}",
            title=task.title,
            owner=self.name(task.owner_id),
        )
        if task.status == TaskStatus.BLOCKED:
            line += " · " + self.t("digest.blocked", reason=task.blocked_reason or "—")
        elif (
            task.status != TaskStatus.DONE and task.due_at and to_aware_utc(task.due_at) < self.now
        ):
            days = (self.now - to_aware_utc(task.due_at)).days + 1
            due = self.when(task.due_at, task.due_has_time)
            line += " · " + self.t("digest.overdue", due=due, days=days)
        return f"{mark} {line}"

    def done(self) -> list[str]:
        since = week_start(self.now, self.zone)
        tasks = [
            t
            for t in self.rows.done.get(self.project_id, [])
            if t.done_at and to_aware_utc(t.done_at) >= since
        ]
        lines = [self.task_line(t, "✓") for t in tasks]
        return self.capped(self.t("digest.done_title", count=len(tasks)), lines)

    def attention(self) -> list[str]:
        tasks = self.rows.attention.get(self.project_id, [])
        tasks = sorted(tasks, key=lambda t: (t.status != TaskStatus.BLOCKED, t.due_at is None))
        lines = [self.task_line(t, "⛔" if t.status == TaskStatus.BLOCKED else "⚠") for t in tasks]
        return self.capped(self.t("digest.attention_title", count=len(tasks)), lines)

    def issues(self) -> list[str]:
        issues = self.rows.issues.get(self.project_id, [])
        order: dict[str, int] = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}
        issues = sorted(issues, key=lambda i: (not _breached(i), order.get(i.urgency, 3)))
        title = self.t(
            "digest.issues_title",
            count=len(issues),
            breaches=sum(1 for i in issues if _breached(i)),
        )
        return self.capped(title, [self.issue_line(i) for i in issues])

    def issue_line(self, issue: Issue) -> str:
        line = self.t(
            "digest.issue_line",
            ref=f"I{issue.number}",
            urgency=self.t(f"digest.urgency_{issue.urgency}")
            if issue.urgency in (Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)
            else issue.urgency,
            title=issue.title,
            owner=self.name(issue.owner_id),
        )
        return (
            ("⚠ " if _breached(issue) else "• ")
            + line
            + (" · " + self.t("digest.issue_breach") if _breached(issue) else "")
        )

    def approvals(self) -> list[str]:
        steps = self.rows.approvals.get(self.project_id, [])
        return self.capped(
            self.t("digest.approvals_title", count=len(steps)),
            [self.approval_line(s) for s in steps],
        )

    def approval_line(self, step: ApprovalStep) -> str:
        request = self.rows.requests.get(step.subject_id)
        if step.subject_type == "request" and request is not None:
            subject = f"R{request.number} {request.description}"
        else:
            subject = self.t("digest.charter")
        late = step.due_at is not None and to_aware_utc(step.due_at) < self.now
        line = self.t(
            "digest.approval_line",
            subject=subject,
            approver=self.name(step.approver_id),
            due=self.when(step.due_at),
        )
        return ("⚠ " if late else "• ") + line + (" " + self.t("digest.late") if late else "")

    def milestones(self) -> list[str]:
        today = self.now.astimezone(self.zone).date()
        horizon = today + timedelta(days=MILESTONE_DAYS)
        lines = []
        for phase in self.rows.phases.get(self.project_id, []):
            day = phase.milestone
            if day is None or phase.milestone_reached_on is not None or day > horizon:
                continue
            key = "digest.milestone_missed" if day < today else "digest.milestone_line"
            lines.append("• " + self.t(key, phase=phase.name, date=f"{day:%m-%d}"))
        return self.capped(self.t("digest.milestones_title"), lines)

    def meetings(self) -> list[str]:
        meetings: list[Meeting] = self.rows.meetings.get(self.project_id, [])
        lines = [
            "• " + self.t("digest.meeting_line", topic=m.topic, when=self.when(m.starts_at))
            for m in meetings
        ]
        return self.capped(self.t("digest.meetings_title"), lines)


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def _breached(issue: Issue) -> bool:
    return issue.triage_breached or issue.plan_breached

"""Retrospective figures (项目复盘, domain §1): completion, lateness, blocked time, milestones,
approvals, and the burn-up of tasks over the project's life.

Pure functions over rows already loaded, so the same figures feed the chat reply, the
spreadsheet and the charts. A task in a ``cancelled`` state (if the task workflow has one)
is counted apart: it is neither open nor done, never late, and out of the scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dates.clock import to_aware_utc
from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Issue,
    IssueStatus,
    Phase,
    ResourceRequest,
    Task,
    TaskStatus,
)

DAY = 86400.0
CANCELLED = "cancelled"
DECISIONS = frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.SUGGESTED})
MAX_BURN_DAYS = 1000  # a chart of a longer life shows its last 1000 days


@dataclass
class Tally:
    total: int = 0
    done: int = 0
    with_deadline: int = 0
    late: int = 0  # finished after the deadline, or still open past it
    delay_days: float = 0.0  # summed over late tasks
    blocked_hours: float = 0.0
    cancelled: int = 0  # not in any of the other counts

    @property
    def completion(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def overdue_rate(self) -> float:
        return self.late / self.with_deadline if self.with_deadline else 0.0

    @property
    def average_delay(self) -> float:
        return self.delay_days / self.late if self.late else 0.0


@dataclass
class Milestone:
    phase: str
    planned: date | None
    actual: date | None


@dataclass
class Figures:
    overall: Tally
    by_department: dict[str, Tally]
    by_phase: dict[str, Tally]
    milestones: list[Milestone]
    issues_total: int = 0
    issues_closed: int = 0
    issues_reopened: int = 0
    issue_resolve_hours: float = 0.0
    issues_by_urgency: dict[str, int] = field(default_factory=dict)


def lateness_days(task: Task, now: datetime) -> float:
    """How late a task is or was, in days (0 when on time or without a deadline)."""
    if task.due_at is None:
        return 0.0
    end = to_aware_utc(task.done_at) if task.done_at else now
    return max(0.0, (end - to_aware_utc(task.due_at)).total_seconds() / DAY)


def blocked_hours(task: Task, now: datetime) -> float:
    seconds = float(task.blocked_seconds)
    if task.status == TaskStatus.BLOCKED and task.blocked_at is not None:
        seconds += (now - to_aware_utc(task.blocked_at)).total_seconds()
    return seconds / 3600


def is_cancelled(task: Task) -> bool:
    return task.status == CANCELLED


def _add(tally: Tally, task: Task, now: datetime) -> None:
    if is_cancelled(task):
        tally.cancelled += 1
        return
    tally.total += 1
    tally.done += task.status == TaskStatus.DONE
    tally.blocked_hours += blocked_hours(task, now)
    if task.due_at is not None:
        tally.with_deadline += 1
        delay = lateness_days(task, now)
        if delay > 0:
            tally.late += 1
            tally.delay_days += delay


def compute(
    tasks: Sequence[Task],
    phases: Sequence[Phase],
    departments: dict[int, str],
    issues: Iterable[Issue],
    now: datetime,
    no_group: str,
) -> Figures:
    phase_names = {p.id: p.name for p in phases}
    figures = Figures(Tally(), {}, {}, [])
    for task in tasks:
        _add(figures.overall, task, now)
        dept = departments.get(task.department_id or 0, no_group)
        _add(figures.by_department.setdefault(dept, Tally()), task, now)
        _add(
            figures.by_phase.setdefault(phase_names.get(task.phase_id, no_group), Tally()),
            task,
            now,
        )
    for phase in phases:
        figures.milestones.append(
            Milestone(
                phase.name, phase.milestone, phase.milestone_reached_on or _phase_end(phase, tasks)
            )
        )
    _issue_figures(figures, issues)
    return figures


def _phase_end(phase: Phase, tasks: Sequence[Task]) -> date | None:
    """A phase whose tasks are all done ended with its last task."""
    own = [t for t in tasks if t.phase_id == phase.id and not is_cancelled(t)]
    if not own or any(t.done_at is None for t in own):
        return None
    return max(to_aware_utc(t.done_at).date() for t in own if t.done_at)


def _issue_figures(figures: Figures, issues: Iterable[Issue]) -> None:
    resolve_hours: list[float] = []
    for issue in issues:
        figures.issues_total += 1
        figures.issues_closed += issue.status == IssueStatus.CLOSED
        figures.issues_reopened += issue.reopen_count
        figures.issues_by_urgency[issue.urgency] = (
            figures.issues_by_urgency.get(issue.urgency, 0) + 1
        )
        if issue.resolved_at is not None:
            spent = to_aware_utc(issue.resolved_at) - to_aware_utc(issue.created_at)
            resolve_hours.append(spent.total_seconds() / 3600)
    figures.issue_resolve_hours = sum(resolve_hours) / len(resolve_hours) if resolve_hours else 0


@dataclass
class Approvals:
    """Decisions taken by people on the project's approval steps (requests and charter)."""

    requests: int = 0
    decisions: int = 0
    approved: int = 0  # approved, or approved with a suggested change
    rejected: int = 0
    decision_hours: float = 0.0  # mean, from the approver's turn to the decision

    @property
    def rejection_rate(self) -> float:
        return self.rejected / self.decisions if self.decisions else 0.0


def decision_hours(step: ApprovalStep) -> float | None:
    if step.decided_at is None or step.status not in DECISIONS:
        return None
    began = to_aware_utc(step.started_at or step.created_at)
    return max(0.0, (to_aware_utc(step.decided_at) - began).total_seconds() / 3600)


def approval_figures(
    requests: Sequence[ResourceRequest], steps: Iterable[ApprovalStep]
) -> Approvals:
    figures = Approvals(requests=len(requests))
    spans: list[float] = []
    for step in steps:
        hours = decision_hours(step)
        if hours is None:
            continue
        spans.append(hours)
        figures.decisions += 1
        figures.rejected += step.status == ApprovalStatus.REJECTED
        figures.approved += step.status != ApprovalStatus.REJECTED
    figures.decision_hours = sum(spans) / len(spans) if spans else 0.0
    return figures


@dataclass
class Burn:
    """Per local day: tasks in the plan by then (scope) and tasks done by then."""

    days: list[date]
    scope: list[int]
    done: list[int]


def burn(tasks: Sequence[Task], *, start: date | None, today: date, zone: ZoneInfo) -> Burn:
    """From the project's start (or its first task) to ``today``, one point a day."""
    live = [t for t in tasks if not is_cancelled(t)]
    created = sorted(_local_day(t.created_at, zone) for t in live)
    finished = sorted(_local_day(t.done_at, zone) for t in live if t.done_at is not None)
    first = min([d for d in (start, *created[:1]) if d is not None], default=today)
    first = max(min(first, today), today - timedelta(days=MAX_BURN_DAYS - 1))
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    return Burn(days, _running(created, days), _running(finished, days))


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return to_aware_utc(moment).astimezone(zone).date()


def _running(events: list[date], days: list[date]) -> list[int]:
    """How many of the (sorted) ``events`` happened on or before each day."""
    counts, seen = [], 0
    for day in days:
        while seen < len(events) and events[seen] <= day:
            seen += 1
        counts.append(seen)
    return counts

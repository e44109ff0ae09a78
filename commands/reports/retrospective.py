"""Retrospective figures (项目复盘, domain §1): completion, lateness, blocked time, milestones.

Pure functions over rows already loaded, so the same figures feed the chat reply and the CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.dates.clock import to_aware_utc
from storage.tables import Issue, IssueStatus, Phase, Task, TaskStatus

DAY = 86400.0


@dataclass
class Tally:
    total: int = 0
    done: int = 0
    with_deadline: int = 0
    late: int = 0  # finished after the deadline, or still open past it
    delay_days: float = 0.0  # summed over late tasks
    blocked_hours: float = 0.0

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


def _add(tally: Tally, task: Task, now: datetime) -> None:
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
    own = [t for t in tasks if t.phase_id == phase.id]
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

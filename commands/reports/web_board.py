"""The data of the web board's pages (``bot.web.pages.BoardSource``): the kanban of a
project's tasks, its issues and its approvals, read in one short transaction each and put
in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import Clock, to_aware_utc
from bot.text.i18n import Translator
from bot.web.pages import Card, Column, Page, Row, View
from commands.issues.views import sla_late
from commands.reports.retrospective import CANCELLED
from storage.db import SessionFactory, transaction
from storage.people import queries as people
from storage.projects import queries as projects
from storage.reports import retrospective as report
from storage.requests import queries as requests
from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Department,
    Issue,
    IssueStatus,
    Member,
    Project,
    ResourceRequest,
    Task,
    TaskStatus,
)
from storage.tasks import queries as tasks

COLUMNS = (
    TaskStatus.TODO,
    TaskStatus.IN_PROGRESS,
    TaskStatus.IN_REVIEW,
    TaskStatus.BLOCKED,
    TaskStatus.DONE,
)


class Names:
    """Names of the members and departments a page shows ("" for none)."""

    def __init__(self, members: dict[int, Member], departments: dict[int, Department]) -> None:
        self.members, self.departments = members, departments

    @classmethod
    async def load(cls, session: AsyncSession, ids: Iterable[int | None]) -> Names:
        known = {i for i in ids if i is not None}
        members = await people.members_by_ids(session, known)
        return cls(members, await people.departments_by_ids(session, known))

    def member(self, member_id: int | None) -> str:
        found = self.members.get(member_id or 0)
        return found.name if found else ""

    def department(self, department_id: int | None) -> str:
        found = self.departments.get(department_id or 0)
        return found.name if found else ""


class WebBoard:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def page(self, project_id: int, view: View, *, locale: str, zone: str) -> Page | None:
        t, tz, now = Translator(locale), _zone(zone), to_aware_utc(self.clock.now())
        async with transaction(self.sessions) as session:
            project = await projects.get_project(session, project_id)
            if project is None:
                return None
            head = Page(_title(project), t("web.generated", when=_when(now, tz, now)))
            if view == "issues":
                issues = list(await report.project_issues(session, project_id))
                names = await Names.load(
                    session,
                    {i.owner_id for i in issues} | {i.primary_department_id for i in issues},
                )
                return _issue_page(head, t, issues, names, now, tz)
            if view == "approvals":
                asks = list(await requests.project_requests(session, project_id=project_id))
                steps = list(await report.project_approval_steps(session, project_id))
                names = await Names.load(
                    session, [*(r.requester_id for r in asks), *(s.approver_id for s in steps)]
                )
                return _approval_page(head, t, asks, steps, names, now, tz)
            rows = list(await tasks.project_tasks(session, project_id))
            names = await Names.load(
                session, {r.owner_id for r in rows} | {r.department_id for r in rows}
            )
            return _board_page(head, t, rows, names, now, tz)


def _board_page(
    page: Page,
    t: Translator,
    rows: list[Task],
    names: Names,
    now: datetime,
    tz: ZoneInfo,
) -> Page:
    statuses = [*COLUMNS, *([CANCELLED] if any(r.status == CANCELLED for r in rows) else [])]
    ordered = sorted(rows, key=lambda r: (r.due_at is None, r.due_at or now, r.number))
    columns = []
    for status in statuses:
        cards = tuple(
            Card(
                ref=f"T{r.number}",
                title=r.title,
                owner=names.member(r.owner_id),
                department=names.department(r.department_id),
                due=_when(r.due_at, tz, now, with_time=r.due_has_time) if r.due_at else "",
                overdue=_overdue(r, now),
                blocked=r.status == TaskStatus.BLOCKED,
                note=r.blocked_reason or "" if r.status == TaskStatus.BLOCKED else "",
            )
            for r in ordered
            if r.status == status
        )
        title = t(f"status.{status}") if t.has(f"status.{status}") else status
        columns.append(Column(str(status), title, cards))
    done = sum(1 for r in rows if r.status == TaskStatus.DONE)
    summary = (
        (t("web.summary.done"), f"{done}/{len(rows)}"),
        (t("web.summary.overdue"), str(sum(1 for r in rows if _overdue(r, now)))),
        (t("web.summary.blocked"), str(sum(1 for r in rows if r.status == TaskStatus.BLOCKED))),
    )
    return Page(page.project, page.generated, columns=tuple(columns), summary=summary)


def _issue_page(
    page: Page,
    t: Translator,
    rows: list[Issue],
    names: Names,
    now: datetime,
    tz: ZoneInfo,
) -> Page:
    headers = tuple(
        t(f"web.issue.{k}")
        for k in ("ref", "title", "urgency", "status", "department", "owner", "reported")
    )
    lines = tuple(
        Row(
            (
                f"I{i.number}",
                i.title,
                t(f"issue.urgency.{i.urgency}"),
                t(f"issue.status.{i.status}"),
                names.department(i.primary_department_id),
                names.member(i.owner_id),
                _when(i.created_at, tz, now, with_time=True),
            ),
            late=i.status != IssueStatus.CLOSED
            and (sla_late(i, "triage", now) or sla_late(i, "plan", now)),
        )
        for i in rows
    )
    still_open = sum(1 for i in rows if i.status != IssueStatus.CLOSED)
    summary = ((t("web.summary.issues"), f"{still_open}/{len(rows)}"),)
    return Page(page.project, page.generated, headers=headers, rows=lines, summary=summary)


def _approval_page(
    page: Page,
    t: Translator,
    asks: list[ResourceRequest],
    steps: list[ApprovalStep],
    names: Names,
    now: datetime,
    tz: ZoneInfo,
) -> Page:
    headers = tuple(
        t(f"web.approval.{k}") for k in ("ref", "what", "kind", "requester", "status", "step")
    )
    lines = []
    for ask in asks:
        own = [s for s in steps if s.subject_type == "request" and s.subject_id == ask.id]
        current = next((s for s in own if s.status == ApprovalStatus.PENDING), None)
        step = ""
        late = False
        if current is not None:
            due = _when(current.due_at, tz, now, with_time=True) if current.due_at else "—"
            step = t("web.approval.waiting", who=names.member(current.approver_id), due=due)
            late = current.due_at is not None and to_aware_utc(current.due_at) < now
        lines.append(
            Row(
                (
                    f"R{ask.number}",
                    ask.description,
                    t(f"request.kind.{ask.kind}"),
                    names.member(ask.requester_id),
                    t(f"request.status.{ask.status}"),
                    step,
                ),
                late=late,
            )
        )
    pending = sum(1 for s in steps if s.status == ApprovalStatus.PENDING)
    summary = ((t("web.summary.pending"), str(pending)),)
    return Page(page.project, page.generated, headers=headers, rows=tuple(lines), summary=summary)


def _title(project: Project) -> str:
    return f"P{project.id} {project.name}"


def _overdue(task: Task, now: datetime) -> bool:
    if task.due_at is None or task.status in (TaskStatus.DONE, CANCELLED):
        return False
    return to_aware_utc(task.due_at) < now


def _when(moment: datetime | None, tz: ZoneInfo, now: datetime, *, with_time: bool = True) -> str:
    if moment is None:
        return ""
    local = to_aware_utc(moment).astimezone(tz)
    day = local.strftime("%m-%d" if local.year == now.astimezone(tz).year else "%Y-%m-%d")
    return f"{day} {local:%H:%M}" if with_time else day


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")

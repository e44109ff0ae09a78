"""Issue SLA watch (domain §2): triage within 2 h of the report, a solution plan within 24 h
(green channel, high urgency: 2 h). For every newly missed SLA the job, once per issue and SLA:

- posts an alert into the project groups @-mentioning the coordinator, the owner and the PMs
  (key ``issue:{id}:sla:{triage|plan}:{chat id}``; each group's quiet hours waited out);
- sets the issue's ``triage_breached`` / ``plan_breached`` flag and adds a timeline entry;
- opens an escalation (or notes it on the open one) through ``commands.escalations.ladder``;
- writes the audit log.

Each issue runs in its own transaction: a broken one is logged and skipped (``support.each_due``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.dates.clock import to_aware_utc
from bot.outbound.notify import NoticeKey, to_groups
from bot.scheduler import JobContext
from bot.text.i18n import t
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from commands.escalations.ladder import escalate
from storage import schedule
from storage.issues import queries as issues
from storage.people import queries as people
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Issue, IssueStatus, Project

Finder = Callable[..., Awaitable[Sequence[Issue]]]
SCANS: tuple[tuple[str, Finder], ...] = (
    ("triage", issues.triage_overdue),
    ("plan", issues.plan_overdue),
)


async def run(ctx: JobContext) -> None:
    for kind, finder in SCANS:

        async def scan(session: AsyncSession, finder: Finder = finder) -> list[int]:
            return [i.id for i in await finder(session, now=ctx.now) if i.id is not None]

        async def work(session: AsyncSession, issue_id: int, kind: str = kind) -> None:
            await breach(session, ctx, issue_id, kind)

        await support.each_due(ctx, f"issue ({kind} SLA)", scan, work)


def _still_due(issue: Issue, kind: str) -> bool:
    """Re-checked inside the transaction: another replica or a triage may have come first."""
    if kind == "triage":
        return (
            issue.triaged_at is None
            and not issue.triage_breached
            and issue.status == IssueStatus.OPEN
        )
    return (
        issue.planned_at is None
        and not issue.plan_breached
        and issue.status in (IssueStatus.OPEN, IssueStatus.TRIAGED)
    )


async def breach(session: AsyncSession, ctx: JobContext, issue_id: int, kind: str) -> None:
    # Locked (skipped while a replica's job or a triage holds it), so the re-check holds.
    issue = await schedule.claim(session, Issue, issue_id)
    project = await session.get(Project, issue.project_id) if issue else None
    if issue is None or project is None or not _still_due(issue, kind):
        return
    raw_due = issue.triage_due_at if kind == "triage" else issue.plan_due_at
    due = to_aware_utc(raw_due or ctx.now)
    _flag(session, ctx, issue, kind, due)
    await _alert(session, ctx, project, issue, kind, due)

    def reason(locale: str, zone: ZoneInfo) -> str:
        return t(
            locale,
            f"issue.sla_reason_{kind}",
            ref=f"I{issue.number}",
            title=issue.title,
            due=f"{due.astimezone(zone):%m-%d %H:%M}",
        )

    await escalate(
        session,
        ctx,
        project_id=id_of(project),
        subject_type="issue",
        subject_id=issue_id,
        reason=reason,
    )


def _flag(session: AsyncSession, ctx: JobContext, issue: Issue, kind: str, due: datetime) -> None:
    if kind == "triage":
        issue.triage_breached = True
    else:
        issue.plan_breached = True
    session.add(issue)
    issues.add_entry(
        session,
        issue_id=id_of(issue),
        author_id=None,
        kind="breach",
        text=json.dumps({"sla": kind, "due": due.isoformat()}),
        at=ctx.now,
    )
    support.audit(
        ctx,
        session,
        project_id=issue.project_id,
        action="issue.sla_breach",
        entity="issue",
        entity_id=issue.id,
        number=issue.number,
        sla=kind,
        due=due.isoformat(),
    )


async def _people(session: AsyncSession, project: Project, issue: Issue) -> list[tuple[int, str]]:
    """Coordinator(s) first, then the issue's owner, then the PMs — each once."""
    roles = await projects.roles(session, id_of(project))
    ids = [project.coordinator_id, *[r.member_id for r in roles if r.role == "coordinator"]]
    ids += [issue.owner_id, project.owner_id, *[r.member_id for r in roles if r.role == "pm"]]
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    found = await people.members_by_ids(session, set(wanted))
    return [(i, found[i].name) for i in wanted if i in found]


async def _alert(
    session: AsyncSession,
    ctx: JobContext,
    project: Project,
    issue: Issue,
    kind: str,
    due: datetime,
) -> None:
    who = await _people(session, project, issue)

    def render(locale: str, zone: ZoneInfo) -> Message:
        msg = MessageBuilder()
        msg.section(
            t(
                locale,
                f"issue.sla_alert_{kind}",
                ref=f"I{issue.number}",
                title=issue.title,
                urgency=t(locale, f"issue.urgency.{issue.urgency}"),
                due=f"{due.astimezone(zone):%m-%d %H:%M}",
                people=" ".join(msg.mention(i, name) for i, name in who) or "—",
            )
        )
        return msg.build()

    await to_groups(
        session,
        ctx.settings,
        project_id=id_of(project),
        key=NoticeKey(f"issue:{issue.id}:sla:{kind}", tag_groups=False),
        render=render,
        now=ctx.now,
        ping=True,
        concerns=[issue.owner_id, issue.reporter_id, *(i for i, _ in who)],
    )

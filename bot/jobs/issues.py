"""Issue SLA watch (domain §2): triage within 2 h of the report, a solution plan within 24 h
(green channel, high urgency: 2 h). For every newly missed SLA the job, once per issue and SLA:

- posts an alert into the project groups @-mentioning the coordinator, the owner and the PMs
  (``send_once`` key ``issue:{id}:sla:{triage|plan}:{chat id}``; group quiet hours respected);
- sets the issue's ``triage_breached`` / ``plan_breached`` flag and adds a timeline entry;
- opens an escalation (or notes it on the open one) through ``bot.escalation``;
- writes the audit log.

Each issue runs in its own transaction, so one failure does not hold back the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import escalation, targets
from bot.clock import to_aware_utc
from bot.i18n import DEFAULT_LOCALE, t
from bot.messages import Target
from bot.notify import quiet_until, send_once
from bot.render import MessageBuilder
from bot.scheduler import JobContext
from storage import audit, issues, people, projects, schedule
from storage.db import transaction
from storage.tables import Chat, Issue, Project

logger = logging.getLogger("concord.jobs.issues")

Finder = Callable[..., Awaitable[Sequence[Issue]]]
SCANS: tuple[tuple[str, Finder], ...] = (
    ("triage", issues.triage_overdue),
    ("plan", issues.plan_overdue),
)


async def run(ctx: JobContext) -> None:
    for kind, finder in SCANS:
        async with transaction(ctx.sessions) as session:
            due = [i.id for i in await finder(session, now=ctx.now) if i.id is not None]
        for issue_id in due:
            try:
                async with transaction(ctx.sessions) as session:
                    await breach(session, ctx, issue_id, kind)
            except Exception:
                logger.exception("issue %s: %s SLA handling failed", issue_id, kind)


def _still_due(issue: Issue, kind: str) -> bool:
    """Re-checked inside the transaction: another replica or a triage may have come first."""
    if kind == "triage":
        return issue.triaged_at is None and not issue.triage_breached and issue.status == "open"
    return (
        issue.planned_at is None and not issue.plan_breached and issue.status in ("open", "triaged")
    )


async def breach(session: AsyncSession, ctx: JobContext, issue_id: int, kind: str) -> None:
    # Locked (skipped while a replica's job or a triage holds it), so the re-check holds.
    issue = await schedule.claim(session, Issue, issue_id)
    project = await session.get(Project, issue.project_id) if issue else None
    if issue is None or project is None or not _still_due(issue, kind):
        return
    raw_due = issue.triage_due_at if kind == "triage" else issue.plan_due_at
    due = to_aware_utc(raw_due or ctx.now)
    _flag(session, issue, kind, due, ctx.now)
    groups = await targets.project_groups(session, project.id or 0)
    await _alert(session, ctx, project, issue, kind, due, groups)
    locale = targets.chat_locale(ctx.settings, groups[0][1]) if groups else DEFAULT_LOCALE
    zone = targets.chat_zone(ctx.settings, groups[0][1]) if groups else None
    reason = t(
        locale,
        f"issue.sla_reason_{kind}",
        ref=f"I{issue.number}",
        title=issue.title,
        due=f"{due.astimezone(zone):%m-%d %H:%M}",
    )
    await escalation.open_or_note(
        session,
        settings=ctx.settings,
        calendar=ctx.calendar,
        project_id=project.id or 0,
        subject_type="issue",
        subject_id=issue_id,
        reason=reason,
        now=ctx.now,
        opened_by=None,
    )


def _flag(session: AsyncSession, issue: Issue, kind: str, due: datetime, now: datetime) -> None:
    if kind == "triage":
        issue.triage_breached = True
    else:
        issue.plan_breached = True
    session.add(issue)
    issues.add_entry(
        session,
        issue_id=issue.id or 0,
        author_id=None,
        kind="breach",
        text=json.dumps({"sla": kind, "due": due.isoformat()}),
        at=now,
    )
    audit.record(
        session,
        at=now,
        actor_id=None,
        platform=None,
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
    roles = await projects.roles(session, project.id or 0)
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
    groups: list[tuple[Target, Chat]],
) -> None:
    who = await _people(session, project, issue)
    for target, chat in groups:
        locale, zone = (
            targets.chat_locale(ctx.settings, chat),
            targets.chat_zone(ctx.settings, chat),
        )
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
        quiet = chat.quiet_hours or ctx.settings.schedule.quiet_hours
        await send_once(
            session,
            key=f"issue:{issue.id}:sla:{kind}:{chat.id}",
            target=target,
            message=msg.build(),
            now=ctx.now,
            not_before=quiet_until(ctx.now, zone, quiet),
        )

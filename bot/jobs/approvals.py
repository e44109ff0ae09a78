"""Approval deadlines and overdue returns (domain §3).

(a) A pending approval step past its deadline (2 working days by default): the approver is
reminded once by DM (key ``approval:{step}:overdue``, after their quiet hours) and, for a
resource request, an escalation is opened on the request. Charter steps are reminded only:
the escalation ladder knows tasks, issues and requests.
(b) A request in use whose window has ended: the requester is reminded once per working day
(key ``request:{id}:return:{local date}``) until it is returned or written off.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import escalation, targets
from bot.approvals import approver_zone
from bot.clock import to_aware_utc
from bot.i18n import t
from bot.messages import Message, Target
from bot.notify import quiet_until, send_once
from bot.render import MessageBuilder
from bot.scheduler import JobContext
from storage import approvals, audit, outbox, projects
from storage import requests as store
from storage.db import transaction
from storage.tables import ApprovalStep, Member, ResourceRequest


async def run(ctx: JobContext) -> None:
    async with transaction(ctx.sessions) as session:
        step_ids = [s.id for s in await approvals.overdue_steps(session, now=ctx.now)]
        request_ids = [r.id for r in await store.overdue_returns(session, now=ctx.now)]
    for step_id in step_ids:
        async with transaction(ctx.sessions) as session:
            await overdue_step(session, ctx, step_id or 0)
    for request_id in request_ids:
        async with transaction(ctx.sessions) as session:
            await overdue_return(session, ctx, request_id or 0)


def _when(instant: datetime | None, zone: ZoneInfo) -> str:
    return to_aware_utc(instant).astimezone(zone).strftime("%m-%d %H:%M") if instant else "—"


async def _notify_once(
    session: AsyncSession,
    ctx: JobContext,
    *,
    key: str,
    target: Target | None,
    message: Message,
    zone: ZoneInfo,
) -> bool:
    """``send_once`` after the recipient's quiet hours; without a DM the key is still spent,
    so what depends on it (the escalation) also happens exactly once."""
    if target is None:
        return await outbox.claim_notification(session, key=key, now=ctx.now)
    not_before = quiet_until(ctx.now, zone, ctx.settings.schedule.quiet_hours)
    return await send_once(
        session, key=key, target=target, message=message, now=ctx.now, not_before=not_before
    )


async def overdue_step(session: AsyncSession, ctx: JobContext, step_id: int) -> None:
    step = await approvals.get_step(session, step_id)
    approver = await session.get(Member, step.approver_id or 0) if step else None
    if step is None or approver is None or step.status != "pending":
        return
    target = await targets.dm_target(session, approver)
    locale = targets.member_locale(ctx.settings, approver, target.platform if target else "")
    zone = await approver_zone(session, ctx.settings, approver)
    subject, ref = await _subject(session, step, locale)
    msg = MessageBuilder()
    msg.section(
        t(
            locale,
            "approval.reminder.overdue",
            subject=subject,
            started=_when(step.started_at, zone),
            due=_when(step.due_at, zone),
            command=t(locale, f"approval.command.{step.subject_type}_approve", ref=ref),
        )
    )
    key = f"approval:{step.id}:overdue"
    if not await _notify_once(session, ctx, key=key, target=target, message=msg.build(), zone=zone):
        return
    _audit(ctx, session, step.project_id, "approval.overdue", "approval_step", step.id)
    await _escalate(session, ctx, step, approver)


async def _subject(session: AsyncSession, step: ApprovalStep, locale: str) -> tuple[str, str]:
    """(what the reminder names, the item ref for the text command)."""
    project = await projects.get_project(session, step.project_id)
    name = project.name if project else ""
    if step.subject_type == "charter":
        ref = f"P{step.project_id}"
        return t(locale, "approval.reminder.charter_subject", ref=ref, name=name), ""
    request = await store.get_request(session, step.subject_id)
    assert request is not None
    text = t(
        locale,
        "approval.reminder.request_subject",
        ref=f"R{request.number}",
        kind=t(locale, f"request.kind.{request.kind}"),
        what=request.description,
        project=f"P{step.project_id} {name}",
    )
    return text, f"R{request.number}"


async def _escalate(
    session: AsyncSession, ctx: JobContext, step: ApprovalStep, approver: Member
) -> None:
    groups = await targets.project_groups(session, step.project_id)
    locale = (
        targets.chat_locale(ctx.settings, groups[0][1])
        if groups
        else ctx.settings.platform_locale("")
    )
    zone = (
        targets.chat_zone(ctx.settings, groups[0][1]) if groups else ZoneInfo(ctx.settings.timezone)
    )
    reason = t(
        locale,
        "approval.reminder.escalation",
        position=step.position,
        who="@" + approver.name,
        due=_when(step.due_at, zone),
    )
    await escalation.open_or_note(
        session,
        settings=ctx.settings,
        calendar=ctx.calendar,
        project_id=step.project_id,
        subject_type=step.subject_type,
        subject_id=step.subject_id,
        reason=reason,
        now=ctx.now,
        opened_by=None,
    )


async def overdue_return(session: AsyncSession, ctx: JobContext, request_id: int) -> None:
    request = await store.get_request(session, request_id)
    requester = await session.get(Member, request.requester_id) if request else None
    if request is None or requester is None or request.status not in ("approved", "received"):
        return
    zone = await approver_zone(session, ctx.settings, requester)
    today = ctx.now.astimezone(zone).date()
    if not ctx.calendar.is_working_day(today):
        return  # reminders wait for a working day
    target = await targets.dm_target(session, requester)
    locale = targets.member_locale(ctx.settings, requester, target.platform if target else "")
    message = await _return_message(session, request, locale, zone)
    key = f"request:{request.id}:return:{today.isoformat()}"
    if not await _notify_once(session, ctx, key=key, target=target, message=message, zone=zone):
        return
    request.return_reminded_at = ctx.now
    session.add(request)
    _audit(ctx, session, request.project_id, "request.return_reminder", "request", request.id)


async def _return_message(
    session: AsyncSession, request: ResourceRequest, locale: str, zone: ZoneInfo
) -> Message:
    project = await projects.get_project(session, request.project_id)
    msg = MessageBuilder()
    msg.section(
        t(
            locale,
            "request.reminder.return"
            if request.status == "received"
            else "request.reminder.unreceived",
            ref=f"R{request.number}",
            what=request.description,
            project=f"P{request.project_id} {project.name if project else ''}".strip(),
            ended=_when(request.window_end, zone),
            kind=request.kind,
        )
    )
    return msg.build()


def _audit(
    ctx: JobContext,
    session: AsyncSession,
    project_id: int,
    action: str,
    entity: str,
    entity_id: int | None,
) -> None:
    audit.record(
        session,
        at=ctx.now,
        actor_id=None,
        platform=None,
        project_id=project_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
    )

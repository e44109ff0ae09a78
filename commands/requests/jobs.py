"""Approval deadlines and overdue returns (domain §3).

(a) A pending approval step past its deadline (2 working days by default): the approver is
reminded once by DM (key ``approval:{step}:overdue``, the DM ``…:dm:{member}``; after the
approver's own quiet hours) and an escalation is opened on the item.
(b) A request in use whose window has ended: the requester is reminded once per working day
(key ``request:{id}:return:{local date}``, the DM ``…:dm:{member}``) until it is returned or
written off.

Each step and request runs in its own transaction; a broken one is logged and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import jobs as support
from bot.dates.clock import to_aware_utc
from bot.outbound import targets
from bot.outbound.notify import NoticeKey, Render, to_person
from bot.scheduler import JobContext
from bot.text.i18n import t
from bot.text.messages import Message
from bot.text.render import MessageBuilder
from commands.escalations.ladder import escalate
from storage.delivery import ledger
from storage.projects import queries as projects
from storage.requests import approvals
from storage.requests import queries as store
from storage.tables import (
    ApprovalStatus,
    ApprovalStep,
    Member,
    Project,
    RequestStatus,
    ResourceRequest,
)


async def run(ctx: JobContext) -> None:
    async def steps(session: AsyncSession) -> list[int]:
        return [s.id for s in await approvals.overdue_steps(session, now=ctx.now) if s.id]

    async def returns(session: AsyncSession) -> list[int]:
        return [r.id for r in await store.overdue_returns(session, now=ctx.now) if r.id]

    async def step_work(session: AsyncSession, step_id: int) -> None:
        await overdue_step(session, ctx, step_id)

    async def return_work(session: AsyncSession, request_id: int) -> None:
        await overdue_return(session, ctx, request_id)

    await support.each_due(ctx, "approval step", steps, step_work)
    await support.each_due(ctx, "overdue return of request", returns, return_work)


def _when(instant: datetime | None, zone: ZoneInfo) -> str:
    return to_aware_utc(instant).astimezone(zone).strftime("%m-%d %H:%M") if instant else "—"


async def _remind_once(
    session: AsyncSession, ctx: JobContext, member: Member, key: str, render: Render
) -> bool:
    """The reminder under ``key``, by DM after the member's own quiet hours. False when
    ``key`` was used before; the key is spent even without a DM, so what depends on it
    (the escalation) also happens exactly once."""
    if not await ledger.claim_notification(session, key=key, now=ctx.now):
        return False
    await to_person(
        session, ctx.settings, member=member, key=NoticeKey(key), render=render, now=ctx.now
    )
    return True


async def overdue_step(session: AsyncSession, ctx: JobContext, step_id: int) -> None:
    step = await approvals.get_step(session, step_id)
    approver = await session.get(Member, step.approver_id or 0) if step else None
    if step is None or approver is None or step.status != ApprovalStatus.PENDING:
        return
    subject = await _subject(session, step)

    def render(locale: str, zone: ZoneInfo) -> Message:
        text, ref = subject(locale)
        msg = MessageBuilder()
        msg.section(
            t(
                locale,
                "approval.reminder.overdue",
                subject=text,
                started=_when(step.started_at, zone),
                due=_when(step.due_at, zone),
                command=t(locale, f"approval.command.{step.subject_type}_approve", ref=ref),
            )
        )
        return msg.build()

    if not await _remind_once(session, ctx, approver, f"approval:{step.id}:overdue", render):
        return
    support.audit(
        ctx,
        session,
        project_id=step.project_id,
        action="approval.overdue",
        entity="approval_step",
        entity_id=step.id,
    )
    await _escalate(session, ctx, step, approver)


async def _subject(session: AsyncSession, step: ApprovalStep) -> Callable[[str], tuple[str, str]]:
    """For a locale: (what the reminder names, the item ref for the text command)."""
    project = await projects.get_project(session, step.project_id)
    name = project.name if project else ""
    if step.subject_type == "charter":
        ref = f"P{step.project_id}"
        return lambda locale: (
            t(locale, "approval.reminder.charter_subject", ref=ref, name=name),
            "",
        )
    request = await store.get_request(session, step.subject_id)
    if request is None:
        raise LookupError(f"approval step {step.id}: request {step.subject_id} does not exist")

    def text(locale: str) -> tuple[str, str]:
        subject = t(
            locale,
            "approval.reminder.request_subject",
            ref=f"R{request.number}",
            kind=t(locale, f"request.kind.{request.kind}"),
            what=request.description,
            project=f"P{step.project_id} {name}",
        )
        return subject, f"R{request.number}"

    return text


async def _escalate(
    session: AsyncSession, ctx: JobContext, step: ApprovalStep, approver: Member
) -> None:
    def reason(locale: str, zone: ZoneInfo) -> str:
        return t(
            locale,
            "approval.reminder.escalation",
            position=step.position,
            who="@" + approver.name,
            due=_when(step.due_at, zone),
        )

    await escalate(
        session,
        ctx,
        project_id=step.project_id,
        subject_type=step.subject_type,
        subject_id=step.subject_id,
        reason=reason,
    )


async def overdue_return(session: AsyncSession, ctx: JobContext, request_id: int) -> None:
    request = await store.get_request(session, request_id)
    requester = await session.get(Member, request.requester_id) if request else None
    if (
        request is None
        or requester is None
        or request.status not in (RequestStatus.APPROVED, RequestStatus.RECEIVED)
    ):
        return
    zone = await targets.person_zone(session, ctx.settings, requester)
    today = ctx.now.astimezone(zone).date()
    if not ctx.calendar.is_working_day(today):
        return  # reminders wait for a working day
    project = await projects.get_project(session, request.project_id)

    def render(locale: str, zone: ZoneInfo) -> Message:
        return _return_message(request, project, locale, zone)

    key = f"request:{request.id}:return:{today.isoformat()}"
    if not await _remind_once(session, ctx, requester, key, render):
        return
    request.return_reminded_at = ctx.now
    session.add(request)
    support.audit(
        ctx,
        session,
        project_id=request.project_id,
        action="request.return_reminder",
        entity="request",
        entity_id=request.id,
    )


def _return_message(
    request: ResourceRequest, project: Project | None, locale: str, zone: ZoneInfo
) -> Message:
    msg = MessageBuilder()
    msg.section(
        t(
            locale,
            "request.reminder.return"
            if request.status == RequestStatus.RECEIVED
            else "request.reminder.unreceived",
            ref=f"R{request.number}",
            what=request.description,
            project=f"P{request.project_id} {project.name if project else ''}".strip(),
            ended=_when(request.window_end, zone),
            kind=request.kind,
        )
    )
    return msg.build()

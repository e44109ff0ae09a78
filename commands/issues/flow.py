"""The closed loop after triage (domain §2, 闭环): progress by the primary department, help
notes by supporting departments, resolve by the owner, verify-and-close or reopen by the
reporter (or the coordinator).

States: ``open`` (待分派) → ``triaged`` (处理中) → ``resolved`` (已解决) → ``closed`` (已关闭);
reopen takes a resolved or closed issue back to ``triaged``.
"""

from __future__ import annotations

from bot.dates.clock import to_aware_utc
from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.escalations import ladder as escalation
from commands.framework import Args
from commands.issues.access import (
    check_close,
    check_note,
    check_progress,
    check_resolve,
    check_state,
    get_issue,
)
from commands.issues.views import ref
from storage.issues import queries as issues
from storage.rows import id_of
from storage.tables import Issue, IssueStatus


def _record(
    ctx: Context, issue: Issue, kind: str, text: str | None, old: str, **detail: object
) -> None:
    """Timeline entry + audit row for one step of the loop."""
    now = ctx.now_utc()
    issue.updated_at = now
    ctx.session.add(issue)
    issues.add_entry(
        ctx.session, issue_id=id_of(issue), author_id=ctx.actor_id, kind=kind, text=text, at=now
    )
    ctx.audit(
        f"issue.{kind}",
        "issue",
        issue.id,
        number=issue.number,
        **{"from": old, "to": issue.status},
        text=text,
        **detail,
    )


async def _mention(ctx: Context, msg: MessageBuilder, member_id: int | None) -> str:
    member = (await common.member_map(ctx, [member_id])).get(member_id or 0)
    return msg.mention(member.id, member.name) if member else "—"


async def progress(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    check_state(ctx, issue, (IssueStatus.TRIAGED,), "progress")
    await check_progress(ctx, issue)
    text = args.require_text(ctx.t("issue.progress_word"))
    is_plan = issue.planned_at is None
    if is_plan:
        issue.planned_at = ctx.now_utc()
    _record(ctx, issue, "plan" if is_plan else "progress", text, issue.status)
    msg = ctx.message()
    actor = msg.mention(ctx.actor_id, ctx.actor.name)
    msg.section(
        ctx.t("issue.progress_posted", ref=ref(issue), title=issue.title, actor=actor, text=text)
    )
    if is_plan:
        key = (
            "issue.plan_recorded_late"
            if issue.plan_breached or _late(issue)
            else "issue.plan_recorded"
        )
        msg.context(ctx.t(key, due=timefmt.moment(ctx, issue.plan_due_at)))
    ctx.reply(msg)


def _late(issue: Issue) -> bool:
    if issue.plan_due_at is None or issue.planned_at is None:
        return False
    return to_aware_utc(issue.planned_at) > to_aware_utc(issue.plan_due_at)


async def note(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    await check_note(ctx, issue)
    check_state(ctx, issue, issues.OPEN_STATES, "note")
    text = args.require_text(ctx.t("issue.note_word"))
    _record(ctx, issue, "note", text, issue.status)
    department = (await common.department_map(ctx, [ctx.actor.department_id])).get(
        ctx.actor.department_id or 0
    )
    msg = ctx.message()
    msg.section(
        ctx.t(
            "issue.note_posted",
            ref=ref(issue),
            title=issue.title,
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
            department=department.name if department else "",
            text=text,
        )
    )
    ctx.reply(msg)


async def resolve(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    await check_resolve(ctx, issue)
    check_state(ctx, issue, (IssueStatus.TRIAGED,), "resolve")
    text = args.text() or None
    now, old = ctx.now_utc(), issue.status
    issue.status, issue.resolved_at = IssueStatus.RESOLVED, now
    if issue.planned_at is None:
        issue.planned_at = now  # a resolution is the plan carried out
    _record(ctx, issue, "resolve", text, old)
    msg = ctx.message()
    msg.section(
        ctx.t(
            "issue.resolved",
            ref=ref(issue),
            title=issue.title,
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
            text=text or "",
        )
    )
    reporter = await _mention(ctx, msg, issue.reporter_id)
    msg.context(ctx.t("issue.verify_request", reporter=reporter, ref=ref(issue)))
    ctx.reply(msg)


async def verify(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    await check_close(ctx, issue)
    check_state(ctx, issue, (IssueStatus.RESOLVED,), "verify")
    text = args.text() or None
    now, old = ctx.now_utc(), issue.status
    issue.status, issue.closed_at = IssueStatus.CLOSED, now
    _record(ctx, issue, "verify", text, old)
    closed = await escalation.resolve_subject(
        ctx.session, subject_type="issue", subject_id=id_of(issue), now=now, by=ctx.actor_id
    )
    msg = ctx.message()
    msg.section(
        ctx.t(
            "issue.verified",
            ref=ref(issue),
            title=issue.title,
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
            text=text or "",
            took=timefmt.span(ctx.t, now - to_aware_utc(issue.created_at)),
        )
    )
    if closed is not None:
        msg.context(ctx.t("issue.escalation_closed", ref=f"E{closed.number}"))
    ctx.reply(msg)


async def reopen(ctx: Context, number: int, args: Args) -> None:
    issue = await get_issue(ctx, number, lock=True)
    await check_close(ctx, issue)
    check_state(ctx, issue, (IssueStatus.RESOLVED, IssueStatus.CLOSED), "reopen")
    reason = args.option("reason") or args.text()
    if not reason:
        raise UsageError("error.issue_reopen_reason", usage="issue.reopen")
    old = issue.status
    issue.status, issue.resolved_at, issue.closed_at = IssueStatus.TRIAGED, None, None
    issue.reopen_count += 1
    _record(ctx, issue, "reopen", reason, old, reopen_count=issue.reopen_count)
    msg = ctx.message()
    msg.section(
        ctx.t(
            "issue.reopened",
            ref=ref(issue),
            title=issue.title,
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
            reason=reason,
            count=issue.reopen_count,
        )
    )
    owner = await _mention(ctx, msg, issue.owner_id)
    msg.context(ctx.t("issue.back_to_owner", owner=owner, ref=ref(issue)))
    ctx.reply(msg)

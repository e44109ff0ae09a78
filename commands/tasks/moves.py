"""Task state changes (domain §1): start, review, done, block/unblock, reopen and deliver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.errors import Conflict, UsageError
from bot.inbound.context import Context
from commands.escalations import ladder
from commands.framework import Args
from commands.tasks.access import check_change, get_task
from commands.tasks.states import next_status
from commands.tasks.views import notify_informed, status_label
from storage.rows import id_of
from storage.tables import Task, TaskStatus
from storage.tasks import queries as tasks


async def move(ctx: Context, number: int, args: Args, event: str) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    reason = args.text() or args.option("reason")
    if event == "block" and not reason:
        raise UsageError("error.block_reason", usage="task.block")
    try:
        new = next_status(task.status, event, before_block=task.status_before_block)
    except Conflict as error:
        allowed = [status_label(ctx, s) for s in str(error.params["allowed"]).split(",")]
        raise Conflict(
            "error.task_transition",
            ref=f"T{task.number}",
            status=status_label(ctx, task.status),
            action=ctx.t(f"task.event.{event}"),
            allowed=" / ".join(allowed),
        ) from None
    old, now = task.status, ctx.now_utc()
    warning = await _apply_move(ctx, task, event, new, reason, now)
    tasks.record_change(
        ctx.session,
        task=task,
        actor_id=ctx.actor_id,
        at=now,
        field="status",
        old=old,
        new=new,
        note=reason,
    )
    ctx.audit(
        f"task.{event}",
        "task",
        task.id,
        number=task.number,
        **{"from": old, "to": new},
        note=reason,
    )
    msg = ctx.message()
    msg.section(
        ctx.t(
            "task.moved",
            ref=f"T{task.number}",
            title=task.title,
            old=status_label(ctx, old),
            new=status_label(ctx, new),
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
        )
    )
    if reason and event in ("block", "done"):
        msg.context(ctx.t(f"task.note_{event}", text=reason))
    if warning:
        msg.context(warning)
    ctx.reply(msg)
    await notify_informed(ctx, task, old, new)


async def _apply_move(
    ctx: Context, task: Task, event: str, new: str, reason: str | None, now: datetime
) -> str | None:
    warning = None
    if event == "block":
        task.status_before_block, task.blocked_reason, task.blocked_at = task.status, reason, now
    elif event == "unblock":
        if task.blocked_at is not None:
            task.blocked_seconds += int((now - task.blocked_at).total_seconds())
        task.status_before_block, task.blocked_reason, task.blocked_at = None, None, None
    elif event == "done":
        task.done_at = now
        if reason:
            task.deliverable = reason
        await ladder.resolve_subject(
            ctx.session, subject_type="task", subject_id=id_of(task), now=now, by=ctx.actor_id
        )
    elif event == "reopen":
        task.done_at = None
    if event == "start":
        waiting = [
            d
            for d in await tasks.dependencies(ctx.session, id_of(task))
            if d.status != TaskStatus.DONE
        ]
        if waiting:
            warning = ctx.t("task.waiting_on", refs=", ".join(f"T{d.number}" for d in waiting))
    task.status, task.updated_at = new, now
    ctx.session.add(task)
    return warning


async def deliver(ctx: Context, number: int, args: Args) -> None:
    task = await get_task(ctx, number, lock=True)
    await check_change(ctx, task)
    text = args.require_text(ctx.t("task.deliverable_word"))
    old = task.deliverable
    task.deliverable = text
    await save_changes(ctx, task, [("deliverable", old, text)])
    ctx.reply(ctx.message().section(ctx.t("task.delivered", ref=f"T{task.number}", text=text)))


def mover(event: str) -> Callable[[Context, int, Args], Awaitable[None]]:
    async def handler(ctx: Context, number: int, args: Args) -> None:
        await move(ctx, number, args, event)

    return handler


async def save_changes(
    ctx: Context, task: Task, changes: list[tuple[str, str | None, str | None]]
) -> None:
    """Save ``task`` with one history row per changed field and one audit entry."""
    now = ctx.now_utc()
    task.updated_at = now
    ctx.session.add(task)
    for field, old, new in changes:
        tasks.record_change(
            ctx.session, task=task, actor_id=ctx.actor_id, at=now, field=field, old=old, new=new
        )
    ctx.audit(
        "task.update",
        "task",
        task.id,
        number=task.number,
        changes={f: {"from": o, "to": n} for f, o, n in changes},
    )

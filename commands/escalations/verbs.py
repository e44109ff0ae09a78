"""``escalate`` / ``升级``: open an escalation on a task, issue or request; list, show, resolve."""

from __future__ import annotations

from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.escalations import announce, ladder
from commands.framework import ITEM_RE, Args, Family, ItemVerb, Verb
from storage import rows
from storage.escalations import queries as store
from storage.rows import id_of
from storage.tables import Escalation, EscalationStatus

SUBJECT_PREFIXES = {"T": "task", "I": "issue", "R": "request"}


async def open_escalation(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    if not args.positional:
        await list_open(ctx, args)
        return
    ref = args.positional[0].text
    match = ITEM_RE.match(ref)
    if match is None or match["prefix"].upper() not in SUBJECT_PREFIXES:
        raise UsageError("error.escalation_subject", usage="escalate", value=ref)
    subject_type = SUBJECT_PREFIXES[match["prefix"].upper()]
    reason = " ".join(t.text for t in args.positional[1:] if t.kind in ("word", "quoted")).strip()
    if not reason:
        raise UsageError("error.escalation_reason", usage="escalate")
    subject = await store.subject_by_number(
        ctx.session,
        subject_type=subject_type,
        project_id=id_of(project),
        number=int(match["number"]),
    )
    if subject is None:
        raise NotFound("error.unknown_item", ref=ref.upper())
    escalation, created = await ladder.open_or_note(
        ctx.session,
        settings=ctx.settings,
        calendar=ctx.calendar,
        project_id=id_of(project),
        subject_type=subject_type,
        subject_id=id_of(subject),
        reason=reason,
        now=ctx.now(),
        opened_by=ctx.actor_id,
    )
    key = "escalation.opened" if created else "escalation.noted"
    ctx.reply(
        ctx.message().section(
            ctx.t(key, ref=f"E{escalation.number}", subject=ref.upper(), level=escalation.level)
        )
    )


async def list_open(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    rows = await store.of_project(ctx.session, id_of(project), open_only=args.text() != "all")
    msg = ctx.message()
    if not rows:
        msg.section(ctx.t("escalation.none"))
    else:
        msg.lines([ctx.t("escalation.list_title"), *[await _line(ctx, e) for e in rows]])
    ctx.reply(msg)


async def _line(ctx: Context, escalation: Escalation) -> str:
    subject = await store.subject(ctx.session, escalation.subject_type, escalation.subject_id)
    ref = announce.subject_ref(escalation.subject_type, announce.describe(subject)[0])
    status = ctx.t(f"escalation.status_{escalation.status}")
    due = (
        timefmt.moment(ctx, escalation.next_level_at)
        if escalation.status == EscalationStatus.OPEN
        else "—"
    )
    return ctx.t(
        "escalation.line",
        ref=f"E{escalation.number}",
        level=escalation.level,
        subject=ref,
        reason=escalation.reason,
        status=status,
        due=due,
    )


async def _get(ctx: Context, number: int, *, lock: bool = False) -> Escalation:
    """``lock=True``: held until commit, so resolving races neither a second resolve nor the
    ladder climbing it."""
    project = common.require_project(ctx)
    escalation = await store.by_number(ctx.session, project_id=id_of(project), number=number)
    if escalation is None:
        raise NotFound("error.unknown_item", ref=f"E{number}")
    return await rows.lock(ctx.session, escalation) if lock else escalation


async def show(ctx: Context, number: int, args: Args) -> None:
    escalation = await _get(ctx, number)
    msg = ctx.message()
    msg.section(await _line(ctx, escalation))
    people = await announce.level_people(ctx.session, escalation)
    msg.fields(
        [
            (
                ctx.t("escalation.people"),
                " ".join(msg.mention(p.id, p.name) for p in people) or "—",
            ),
            (ctx.t("escalation.notes"), escalation.notes or "—"),
        ]
    )
    ctx.reply(msg)


async def resolve(ctx: Context, number: int, args: Args) -> None:
    escalation = await _get(ctx, number, lock=True)
    if escalation.status != EscalationStatus.OPEN:
        raise Conflict("error.escalation_closed", ref=f"E{number}")
    project = common.require_project(ctx)
    allowed = await common.pm_ids(ctx, project)
    allowed |= {i for i in (project.sponsor_id, project.coordinator_id, escalation.opened_by) if i}
    allowed |= {p.id for p in await announce.level_people(ctx.session, escalation) if p.id}
    if ctx.actor_id not in allowed:
        names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
        raise PermissionDenied(
            "error.escalation_permission", ref=f"E{number}", who=", ".join(names)
        )
    await ladder.resolve(ctx.session, escalation=escalation, now=ctx.now(), by=ctx.actor_id)
    note = args.text()
    if note:
        escalation.notes = f"{escalation.notes}\n{note}" if escalation.notes else note
    ctx.reply(
        ctx.message().section(
            ctx.t("escalation.resolved", ref=f"E{number}", actor="@" + ctx.actor.name)
        )
    )


def family() -> Family:
    return Family(
        name="escalate",
        words=("escalate", "escalation", "escalations", "升级"),
        usage="escalate",
        item_prefix="E",
        default=Verb(("escalate",), open_escalation, "escalate"),
        verbs=(Verb(("list", "列表"), list_open, "escalate.list"),),
        item_default=ItemVerb(("show",), show, "escalate.show"),
        item_verbs=(
            ItemVerb(("show", "查看"), show, "escalate.show"),
            ItemVerb(("resolve", "close", "解决", "关闭"), resolve, "escalate.resolve"),
        ),
    )

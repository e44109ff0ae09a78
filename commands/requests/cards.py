"""How an approval card reads: one card per step, the same layout for requests and charters.

Each copy of a card is rendered for where it is: in each project group's language and time
zone, and in the approver's in their DMs; a decision edits every copy in place, each again
in its own language (``storage.delivery.cards`` knows where each copy is). The deadline is always
shown in the approver's own zone. Layout, top to bottom::

    header      subject line (e.g. "Approval · R2 budget: Ads")
    section     who asks for what, and which step this is
    fields      the subject's facts, then Approver and Deadline
    section     notes (conflicts with approved requests)
    context     the whole chain with a mark per step (✓ ▶ ○ ✏ ✗ –)
    section     the outcome (who, when, reason) once decided
    actions     Approve / Reject / Suggest change — only while the step is pending
    context     the text-command equivalents
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from bot.dates.clock import to_aware_utc
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text import timefmt
from bot.text.i18n import Translator
from bot.text.messages import Target
from bot.text.render import MessageBuilder
from commands import common
from commands.requests import deadlines as approval_time
from storage.delivery import cards
from storage.people import queries as people
from storage.requests import approvals
from storage.rows import id_of
from storage.tables import ApprovalStatus, ApprovalStep, Member, Project

MARKS: dict[str, str] = {
    ApprovalStatus.APPROVED: "✓",
    ApprovalStatus.AUTO: "✓",
    ApprovalStatus.ADJUSTED: "✓",
    ApprovalStatus.PENDING: "▶",
    ApprovalStatus.WAITING: "○",
    ApprovalStatus.SUGGESTED: "✏",
    ApprovalStatus.REJECTED: "✗",
    ApprovalStatus.CANCELLED: "–",
}
BUTTON_STYLES: dict[str, Literal["primary", "danger"] | None] = {
    "approve": "primary",
    "reject": "danger",
    "suggest": None,
}


@dataclass
class CardView:
    """The reader's language and clock for one card."""

    t: Translator
    zone: ZoneInfo
    today: date

    def when(self, instant: datetime | None, zone: ZoneInfo | None = None) -> str:
        """``11-25 09:00`` (with the year when it is not this year)."""
        if instant is None:
            return "—"
        return f"{self.day(instant, zone)} {self.local(instant, zone):%H:%M}"

    def day(self, instant: datetime, zone: ZoneInfo | None = None) -> str:
        moment = self.local(instant, zone)
        return timefmt.day(moment, self.today.year)

    def local(self, instant: datetime, zone: ZoneInfo | None = None) -> datetime:
        return to_aware_utc(instant).astimezone(zone or self.zone)

    @classmethod
    def of(cls, ctx: Context) -> CardView:
        """The reader's own view (replies, as opposed to cards)."""
        return cls(ctx.t, ctx.tz, ctx.today())


@dataclass
class CardBody:
    """What a subject (request or charter) contributes to its cards."""

    header: str
    intro: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hint: str = ""
    requester: str = "—"  # who answers a suggestion (requests only)


class Subject(Protocol):
    """A kind of thing approved through steps: ``request`` or ``charter``."""

    kind: str
    decisions: tuple[str, ...]

    async def body(
        self, ctx: Context, step: ApprovalStep, view: CardView, msg: MessageBuilder
    ) -> CardBody: ...

    async def on_open(self, ctx: Context, step: ApprovalStep) -> None: ...

    async def decided(self, ctx: Context, step: ApprovalStep) -> None: ...

    async def ref(self, ctx: Context, step: ApprovalStep) -> str: ...


async def card_view(ctx: Context, project_id: int) -> CardView:
    """The project group's language and zone (the first group, if there are several)."""
    groups = await targets.project_groups(ctx.session, project_id)
    if not groups:
        return CardView.of(ctx)
    return view_of(ctx, targets.group_audience(ctx.settings, groups[0][1]))


def view_of(ctx: Context, audience: targets.Audience) -> CardView:
    """A card as one reader (a group, a person) reads it."""
    return CardView(
        Translator(audience.locale), audience.zone, ctx.now().astimezone(audience.zone).date()
    )


async def place_view(ctx: Context, platform: str, chat_id: str, is_direct: bool) -> CardView:
    """The reader of the card copy in a chat: the group, or the person whose DM it is."""
    if is_direct:
        member = await people.member_by_account(ctx.session, platform=platform, external_id=chat_id)
        audience = (
            await targets.person_audience(ctx.session, ctx.settings, member, prefer=platform)
            if member is not None
            else None
        )
    else:
        chat = await people.chat_by_account(ctx.session, platform=platform, external_id=chat_id)
        audience = targets.group_audience(ctx.settings, chat) if chat is not None else None
    return view_of(ctx, audience) if audience is not None else CardView.of(ctx)


async def render_card(
    ctx: Context, subject: Subject, step: ApprovalStep, view: CardView | None = None
) -> MessageBuilder:
    view = view or await card_view(ctx, step.project_id)
    msg = ctx.message(card_key=f"approval:{step.id}")
    body = await subject.body(ctx, step, view, msg)
    msg.header(body.header)
    msg.section(body.intro)
    msg.fields([*body.fields, *await _approver_fields(ctx, step, view, msg)])
    msg.lines(body.notes)
    msg.context(await chain_line(ctx, step, view, msg))
    if step.status == ApprovalStatus.PENDING:
        msg.buttons(*_buttons(view, subject, step))
        msg.context(body.hint)
    else:
        msg.section(await outcome_text(ctx, step, view, msg, requester=body.requester))
    return msg


def _buttons(
    view: CardView, subject: Subject, step: ApprovalStep
) -> list[tuple[str, str, str, Literal["primary", "danger"] | None]]:
    return [
        (view.t(f"approval.button.{d}"), f"approval.{d}", str(step.id), BUTTON_STYLES[d])
        for d in subject.decisions
    ]


async def _approver_fields(
    ctx: Context, step: ApprovalStep, view: CardView, msg: MessageBuilder
) -> list[tuple[str, str]]:
    approver = await ctx.session.get(Member, step.approver_id or 0)
    if approver is None:
        return []
    who = msg.mention(approver.id, approver.name)
    delegate = await ctx.session.get(Member, approver.delegate_id or 0)
    if delegate is not None:
        who += " " + view.t(
            "approval.or_delegate", delegate=msg.mention(delegate.id, delegate.name)
        )
    fields = [(view.t("approval.field.approver"), who)]
    if step.status == ApprovalStatus.PENDING and step.due_at is not None:
        zone = await approval_time.approver_zone(ctx.session, ctx.settings, approver)
        deadline = f"{view.when(step.due_at, zone)} ({zone.key})"
        fields.append((view.t("approval.field.deadline"), deadline))
    return fields


async def chain_line(ctx: Context, step: ApprovalStep, view: CardView, msg: MessageBuilder) -> str:
    steps = await approvals.steps_of(
        ctx.session, subject_type=step.subject_type, subject_id=step.subject_id, round=step.round
    )
    parts = await step_labels(ctx, steps, view, msg)
    joiner = " · " if step.subject_type == "charter" else " → "
    return view.t("approval.chain", steps=joiner.join(parts))


async def step_labels(
    ctx: Context, steps: Sequence[ApprovalStep], view: CardView, msg: MessageBuilder
) -> list[str]:
    """``✓ 研发部 @bob`` per step: mark, department (or rule), approver."""
    members = await common.member_map(ctx, [s.approver_id for s in steps])
    departments = await common.department_map(ctx, [s.department_id for s in steps])
    labels = []
    for s in steps:
        place = (
            departments[s.department_id].name
            if s.department_id in departments
            else view.t(f"approval.rule.{s.rule}")
        )
        approver = members.get(s.approver_id or 0)
        who = msg.mention(approver.id, approver.name) if approver else "—"
        labels.append(f"{MARKS.get(s.status, '?')} {place} {who}")
    return labels


async def outcome_text(
    ctx: Context, step: ApprovalStep, view: CardView, msg: MessageBuilder, *, requester: str
) -> str:
    """``✅ Approved by @erin · 11-24 10:30`` and the like, for a decided step."""
    approver = await ctx.session.get(Member, step.approver_id or 0)
    actor = await ctx.session.get(Member, step.decided_by or 0)
    who = msg.mention(actor.id, actor.name) if actor else "—"
    acted = step.status in (
        ApprovalStatus.APPROVED,
        ApprovalStatus.REJECTED,
        ApprovalStatus.SUGGESTED,
        ApprovalStatus.ADJUSTED,
    )
    if acted and actor is not None and approver is not None and actor.id != approver.id:
        who += " " + view.t("approval.on_behalf", approver=msg.mention(approver.id, approver.name))
    params = {"who": who, "when": view.when(step.decided_at), "reason": step.reason or ""}
    if step.status in (ApprovalStatus.SUGGESTED, ApprovalStatus.ADJUSTED):
        params["suggestion"] = step.suggestion or ""
        params["requester"] = requester
        params["now"] = view.when(ctx.now_utc())
    if step.status == ApprovalStatus.CANCELLED:
        return view.t(f"approval.outcome.cancelled_{step.reason or 'withdrawn'}", **params)
    return view.t(f"approval.outcome.{step.status}", **params)


async def send_card(ctx: Context, subject: Subject, step: ApprovalStep, project: Project) -> None:
    """Post the card in every project group that takes it, and in the approver's DMs.

    The group keeps the team informed and shows the outcome; the DM reaches approvers who
    are not members of the project group (finance, admin) and sits in their own inbox. A
    group on ``settings notify:mine`` takes it when the approver or the asker is its own.
    """
    concerns = [step.approver_id, ctx.actor_id]
    for audience in await targets.group_audiences(
        ctx.session, ctx.settings, id_of(project), concerns=concerns
    ):
        ctx.send(audience.target, await render_card(ctx, subject, step, view_of(ctx, audience)))
    approver = await people.get_member(ctx.session, step.approver_id or 0)
    if approver is None:
        return
    reader = await targets.person_audience(ctx.session, ctx.settings, approver, prefer=ctx.platform)
    if reader is not None:
        ctx.send(reader.target, await render_card(ctx, subject, step, view_of(ctx, reader)))


async def refresh_card(ctx: Context, subject: Subject, step: ApprovalStep) -> None:
    """Edit every copy of the step's card in place, each for its reader."""
    key = f"approval:{step.id}"
    for platform, chat_id, direct in await cards.card_places(ctx.session, key):
        view = await place_view(ctx, platform, chat_id, direct)
        where = Target(platform, chat_id, is_direct=direct)
        ctx.update_card(await render_card(ctx, subject, step, view), target=where)

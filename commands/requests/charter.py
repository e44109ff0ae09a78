"""``project charter`` / ``项目 章程``: the charter sign-off, on the shared approval machinery.

One step per participating department's leader (a leader of several departments signs
once), all open at the same time: every one must approve; one rejection (with a reason)
rejects the charter and closes the other cards. ``Project.charter_status`` follows:
``pending`` → ``approved`` | ``rejected``. Sending again after a rejection starts a new round.
"""

from __future__ import annotations

from bot.errors import Conflict, PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.outbound import targets
from bot.text.i18n import Translator
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args
from commands.requests import approvals
from commands.requests.cards import CardBody, CardView, send_card, step_labels
from storage import rows
from storage.projects import queries as projects
from storage.requests import approvals as steps_store
from storage.rows import id_of
from storage.tables import ApprovalStatus, ApprovalStep, CharterStatus, Department, Member, Project

SUBVERBS = {
    "": "send",
    "send": "send",
    "发送": "send",
    "发起": "send",
    "status": "status",
    "状态": "status",
    "approve": "approve",
    "同意": "approve",
    "通过": "approve",
    "reject": "reject",
    "驳回": "reject",
    "拒绝": "reject",
}


class CharterSubject:
    kind = "charter"
    decisions: tuple[str, ...] = ("approve", "reject")

    async def body(
        self, ctx: Context, step: ApprovalStep, view: CardView, msg: MessageBuilder
    ) -> CardBody:
        project = await _project(ctx, step.subject_id)
        department = await ctx.session.get(Department, step.department_id or 0)
        owner = await ctx.session.get(Member, project.owner_id or 0)
        return CardBody(
            header=view.t("charter.card.header", ref=f"P{project.id}", name=project.name),
            intro=view.t(
                "charter.card.intro",
                owner=msg.mention(owner.id, owner.name) if owner else "—",
                dept=department.name if department else "—",
            ),
            fields=await charter_fields(ctx, project, view, msg),
            hint=view.t("charter.card.hint"),
        )

    async def on_open(self, ctx: Context, step: ApprovalStep) -> None:
        return None

    async def ref(self, ctx: Context, step: ApprovalStep) -> str:
        return ctx.t("charter.ref", ref=f"P{step.subject_id}")

    async def decided(self, ctx: Context, step: ApprovalStep) -> None:
        project = await _project(ctx, step.subject_id)
        round_steps = await steps_store.steps_of(
            ctx.session, subject_type="charter", subject_id=id_of(project), round=step.round
        )
        if step.status == ApprovalStatus.REJECTED:
            await approvals.cancel_live(ctx, CHARTER, round_steps, CharterStatus.REJECTED)
            _set_status(ctx, project, CharterStatus.REJECTED, reason=step.reason)
            await _announce(ctx, project, "charter.notice.rejected", reason=step.reason or "")
        elif all(s.status == ApprovalStatus.APPROVED for s in round_steps):
            _set_status(ctx, project, CharterStatus.APPROVED)
            await _announce(ctx, project, "charter.notice.approved", count=len(round_steps))


CHARTER = CharterSubject()


async def _project(ctx: Context, project_id: int) -> Project:
    project = await projects.get_project(ctx.session, project_id)
    assert project is not None
    return project


async def charter_fields(
    ctx: Context, project: Project, view: CardView, msg: MessageBuilder
) -> list[tuple[str, str]]:
    links = await projects.project_departments(ctx.session, id_of(project))
    departments = await common.department_map(ctx, [link.department_id for link in links])
    members = await common.member_map(ctx, [project.owner_id, project.sponsor_id])

    def who(member_id: int | None) -> str:
        member = members.get(member_id or 0)
        return msg.mention(member.id, member.name) if member else "—"

    return [
        (view.t("charter.field.goal"), project.goal or "—"),
        (view.t("charter.field.scope"), project.scope or "—"),
        (view.t("charter.field.dates"), f"{project.start_date or '—'} → {project.end_date or '—'}"),
        (view.t("charter.field.budget"), project.budget or "—"),
        (view.t("charter.field.departments"), ", ".join(d.name for d in departments.values())),
        (view.t("charter.field.owner"), who(project.owner_id)),
        (view.t("charter.field.sponsor"), who(project.sponsor_id)),
    ]


def _set_status(ctx: Context, project: Project, status: CharterStatus, **detail: object) -> None:
    old, project.charter_status, project.updated_at = project.charter_status, status, ctx.now_utc()
    ctx.session.add(project)
    ctx.audit(f"charter.{status}", "project", project.id, **{"from": old}, **detail)


async def _announce(ctx: Context, project: Project, key: str, **params: object) -> None:
    """A line in every project group that takes it, in that group's language."""
    about = [ctx.actor_id, project.owner_id, project.sponsor_id]
    for group in await targets.group_audiences(
        ctx.session, ctx.settings, id_of(project), concerns=about
    ):
        target = group.target
        msg = ctx.message()
        t = Translator(group.locale)
        who = msg.mention(ctx.actor_id, ctx.actor.name)
        msg.section(t(key, ref=f"P{project.id}", name=project.name, who=who, **params))
        ctx.send(target, msg)


async def charter_command(ctx: Context, args: Args) -> None:
    word = (args.first_word() or "").lower()
    action = SUBVERBS.get(word)
    if action is None:
        raise UsageError(
            "error.unknown_verb",
            usage="project.charter",
            family="project charter",
            verb=word,
            suggestion="status",
        )
    project = common.require_project(ctx)
    if action != "status":
        # Sending a round and signing off check the charter's state, then change it.
        await rows.lock(ctx.session, project)
    if action == "send":
        await send(ctx, project)
    elif action == "status":
        ctx.reply(await status_message(ctx, project))
    else:
        reason = " ".join(t.text for t in args.positional[1:] if t.kind in ("word", "quoted"))
        await decide_text(ctx, project, action, reason.strip())


async def send(ctx: Context, project: Project) -> None:
    await _check_admin(ctx, project)
    if project.charter_status == CharterStatus.PENDING:
        raise Conflict("error.charter_pending", ref=f"P{project.id}")
    steps = await _build_round(ctx, project)
    await steps_store.add_steps(ctx.session, steps)
    _set_status(ctx, project, CharterStatus.PENDING, round=steps[0].round)
    for step in steps:  # all open before any card is drawn, so every card shows them open
        await approvals.open_step(ctx, CHARTER, step, project, send=False)
    for step in steps:
        await send_card(ctx, CHARTER, step, project)
    ctx.reply(await status_message(ctx, project, sent=True))


async def _check_admin(ctx: Context, project: Project) -> None:
    allowed = await common.pm_ids(ctx, project)
    if project.sponsor_id is not None:
        allowed.add(project.sponsor_id)
    if allowed and ctx.actor_id not in allowed:
        names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
        raise PermissionDenied(
            "error.project_permission", ref=f"P{project.id}", who=", ".join(names)
        )


async def _build_round(ctx: Context, project: Project) -> list[ApprovalStep]:
    links = await projects.project_departments(ctx.session, id_of(project))
    if not links:
        raise UsageError("error.charter_no_departments", usage="project.edit")
    departments = await common.department_map(ctx, [link.department_id for link in links])
    missing = [d.name for d in departments.values() if d.leader_id is None]
    if missing:
        raise UsageError("error.charter_no_leader", depts=", ".join(missing))
    pid = id_of(project)
    round_no = await steps_store.latest_round(ctx.session, subject_type="charter", subject_id=pid)
    position = await steps_store.next_position(ctx.session, subject_type="charter", subject_id=pid)
    leaders: dict[int, int] = {}
    for link in links:
        leaders.setdefault(departments[link.department_id].leader_id or 0, link.department_id)
    now = ctx.now_utc()
    return [
        ApprovalStep(
            project_id=pid,
            subject_type="charter",
            subject_id=pid,
            round=round_no + 1,
            position=position + index,
            rule="charter",
            approver_id=leader_id,
            department_id=department_id,
            created_at=now,
        )
        for index, (leader_id, department_id) in enumerate(leaders.items())
    ]


async def status_message(ctx: Context, project: Project, *, sent: bool = False) -> MessageBuilder:
    msg = ctx.message()
    steps = await steps_store.steps_of(
        ctx.session, subject_type="charter", subject_id=id_of(project)
    )
    if not steps:
        msg.section(ctx.t("charter.none", ref=f"P{project.id}"))
        return msg
    key = "charter.sent" if sent else "charter.status"
    status = ctx.t(f"project.charter_{project.charter_status or CharterStatus.PENDING}")
    msg.section(ctx.t(key, ref=f"P{project.id}", name=project.name, status=status))
    msg.context(" · ".join(await step_labels(ctx, steps, CardView.of(ctx), msg)))
    return msg


async def decide_text(ctx: Context, project: Project, action: str, reason: str) -> None:
    """``project charter approve`` / ``reject "reason"``: the actor's open sign-off step."""
    steps = await steps_store.steps_of(
        ctx.session, subject_type="charter", subject_id=id_of(project)
    )
    pending = [s for s in steps if s.status == ApprovalStatus.PENDING]
    mine = [s for s in pending if await approvals.may_decide(ctx, s)]
    if not mine:
        if not pending:
            raise Conflict("error.charter_nothing_pending", ref=f"P{project.id}")
        names = sorted(
            "@" + m.name
            for m in (await common.member_map(ctx, [s.approver_id for s in pending])).values()
        )
        raise PermissionDenied(
            "error.charter_not_signer", ref=f"P{project.id}", who=", ".join(names)
        )
    if action == "reject" and not reason:
        raise UsageError("error.charter_reject_reason", usage="project.charter")
    await approvals.decide(ctx, CHARTER, mine[0], action, text=reason or None)
    ctx.reply(await status_message(ctx, project))

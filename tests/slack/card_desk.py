"""A small test-only command family with an approval-style card, on a test router.

``card post @approver`` posts a card (card_key ``testcard:N``) with Approve / Reject
buttons; only the named approver may press them — anyone else gets ``PermissionDenied``
and nothing changes — and a press updates the card in place. The same mechanics as the
resource-request approval cards, without depending on that family.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import PermissionDenied, UsageError
from bot.inbound.context import Context
from bot.inbound.dispatch import Dispatcher
from bot.main import App
from commands import all_families
from commands.common import resolve_member
from commands.framework import Args, CommandRouter, Family, Verb


@dataclass
class CardDesk:
    approvers: dict[str, int] = field(default_factory=dict)  # card number → member id
    names: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    def family(self) -> Family:
        return Family(
            name="card",
            words=("card",),
            usage="help",
            verbs=(Verb(("post",), self.post, "help"),),
            actions={"testcard.approve": self.approve, "testcard.reject": self.reject},
        )

    async def post(self, ctx: Context, args: Args) -> None:
        if not args.positional:
            raise UsageError("error.missing_argument", what="@approver")
        approver = await resolve_member(ctx, _mention_text(args))
        number = str(len(self.approvers) + 1)
        assert approver.id is not None
        self.approvers[number], self.names[number] = approver.id, approver.name
        builder = ctx.message(card_key=f"testcard:{number}")
        builder.header(f"Card {number}")
        builder.fields([("Approver", builder.mention(approver.id, approver.name))])
        builder.buttons(
            ("Approve", "testcard.approve", number, "primary"),
            ("Reject", "testcard.reject", number, "danger"),
        )
        ctx.reply(builder)

    async def approve(self, ctx: Context, value: str, inputs: dict[str, str]) -> None:
        await self._decide(ctx, value, "approved")

    async def reject(self, ctx: Context, value: str, inputs: dict[str, str]) -> None:
        await self._decide(ctx, value, "rejected")

    async def _decide(self, ctx: Context, number: str, outcome: str) -> None:
        if ctx.actor_id != self.approvers.get(number):
            raise PermissionDenied(
                "error.task_permission", who=self.names.get(number, "?"), ref=f"card {number}"
            )
        self.outcomes[number] = outcome
        builder = ctx.message(card_key=f"testcard:{number}")
        builder.header(f"Card {number}")
        builder.context(f"**{outcome}** by {builder.mention(ctx.actor_id, ctx.actor.name)}")
        ctx.update_card(builder)
        ctx.reply(ctx.message().section(f"Card {number} {outcome}."))


def use_families(app: App, *extra: Family) -> None:
    """Swap the app's dispatcher for one whose router also knows ``extra`` (which replace
    real families of the same name)."""
    names = {family.name for family in extra}
    families = [f for f in all_families() if f.name not in names]
    app.dispatcher = app.inbox.dispatcher = Dispatcher(
        router=CommandRouter((*families, *extra)),
        sessions=app.sessions,
        settings=app.settings,
        clock=app.clock,
    )


def use_card_desk(app: App) -> CardDesk:
    desk = CardDesk()
    use_families(app, desk.family())
    return desk


def _mention_text(args: Args) -> str:
    token = args.positional[0]
    return f"<@{token.text}>" if token.kind == "mention" else token.text

"""``request`` / ``申请``: resource requests (people, material, budget) and their approval chain.

``request new people|material|budget "<what>" from:D to:D purpose:"…" return:"…" …`` builds
the chain (``commands.requests.chain``) and sends the first card; ``request R2 approve`` and
friends are the text equivalents of the card's buttons (``commands.requests.flow``).
The family also owns the ``approval.*`` button actions of every approval card, charters
included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.errors import UsageError
from bot.inbound.context import Context
from commands import common
from commands.framework import Args, Family, ItemVerb, Verb
from commands.parsing.tokens import Token
from commands.requests import approvals
from commands.requests import fields as request_fields
from commands.requests import flow as request_flow
from commands.requests import views as request_views
from commands.requests.chain import build_chain
from commands.requests.charter import CHARTER
from commands.requests.subject import REQUEST, advance
from storage.requests import approvals as steps_store
from storage.requests import queries as store
from storage.rows import id_of
from storage.tables import Member, RequestKind, ResourceRequest

NEW_OPTIONS = frozenset(
    {"amount", "currency", "from", "to", "purpose", "return", "dept", "qty", "kind"}
)
CHANGE_OPTIONS = frozenset({"from", "to", "amount", "qty"})


async def new(ctx: Context, args: Args, kind: str | None = None) -> None:
    project = common.require_project(ctx)
    tokens = list(args.positional)
    if kind is None:
        word = args.option("kind") or (
            tokens[0].text if tokens and tokens[0].kind == "word" else ""
        )
        kind = request_fields.KIND_WORDS.get(word.lower())
        if kind is None:
            raise UsageError("error.request_kind", usage="request.new", value=word)
        if not args.option("kind"):
            tokens = tokens[1:]
    request = await _build(ctx, args, kind, tokens, id_of(project))
    await store.add_request(ctx.session, request)
    await steps_store.add_steps(ctx.session, await build_chain(ctx, request, project))
    ctx.audit(
        "request.create",
        "request",
        request.id,
        number=request.number,
        kind=kind,
        description=request.description,
        amount=str(request.amount) if request.amount is not None else None,
        currency=request.currency,
        window=[request.window_start, request.window_end],
        owner_department_id=request.owner_department_id,
    )
    await advance(ctx, request, project)
    ctx.reply(await request_views.created_reply(ctx, request))


async def _build(
    ctx: Context, args: Args, kind: str, tokens: list[Token], project_id: int
) -> ResourceRequest:
    usage = "request.new"
    person = await _person(ctx, tokens)
    description = " ".join(t.text for t in tokens if t.kind in ("word", "quoted")).strip()
    if not description and person is None:
        raise UsageError("error.request_missing_what", usage=usage)
    start, end = request_fields.window(ctx, args, usage)
    amount_text = args.option("amount")
    if kind == RequestKind.BUDGET and not amount_text:
        option = ctx.t("request.option.amount")
        raise UsageError("error.request_missing_option", usage=usage, option=option)
    amount = request_fields.parse_amount(amount_text, usage=usage) if amount_text else None
    department = await request_fields.owning_department(ctx, kind, args.option("dept"), person)
    now = ctx.now_utc()
    return ResourceRequest(
        project_id=project_id,
        number=0,
        requester_id=ctx.actor_id,
        requester_department_id=ctx.actor.department_id,
        kind=kind,
        description=description or (person.name if person else ""),
        resource_member_id=person.id if person else None,
        quantity=args.option("qty"),
        amount=amount,
        currency=request_fields.parse_currency(args.option("currency"), usage=usage)
        if amount is not None
        else None,
        window_start=start,
        window_end=end,
        purpose=request_fields.required(ctx, args, "purpose", usage),
        return_method=request_fields.required(ctx, args, "return", usage),
        owner_department_id=department.id,
        created_at=now,
        updated_at=now,
    )


async def _person(ctx: Context, tokens: list[Token]) -> Member | None:
    """The person a people request names (``@grace``): conflicts are checked on them."""
    mention = next((t for t in tokens if t.kind == "mention"), None)
    if mention is None:
        return None
    if ctx.platform == common.CONSOLE:
        return await common.resolve_member(ctx, "@" + mention.text, usage="request.new")
    name = f"|{mention.name}" if mention.name else ""
    return await common.resolve_member(ctx, f"<@{mention.text}{name}>", usage="request.new")


def _new_kind(kind: str) -> Callable[[Context, Args], Awaitable[None]]:
    async def handler(ctx: Context, args: Args) -> None:
        await new(ctx, args, kind)

    return handler


async def _new_any(ctx: Context, args: Args) -> None:
    await new(ctx, args)


def family() -> Family:
    return Family(
        name="request",
        words=("request", "requests", "申请", "资源申请"),
        usage="request",
        item_prefix="R",
        default=Verb(("list",), request_views.default, "request.list"),
        verbs=(
            Verb(
                ("new", "add", "create", "新建", "创建", "提交"),
                _new_any,
                "request.new",
                NEW_OPTIONS,
            ),
            Verb(
                ("people", "person", "人力", "人员"),
                _new_kind(RequestKind.PEOPLE),
                "request.new",
                NEW_OPTIONS,
            ),
            Verb(
                ("material", "物料", "物资"),
                _new_kind(RequestKind.MATERIAL),
                "request.new",
                NEW_OPTIONS,
            ),
            Verb(
                ("budget", "预算", "经费"),
                _new_kind(RequestKind.BUDGET),
                "request.new",
                NEW_OPTIONS,
            ),
            Verb(("list", "列表"), request_views.list_requests, "request.list"),
        ),
        item_default=ItemVerb(("show",), request_views.show, "request.show"),
        item_verbs=(
            ItemVerb(("show", "查看", "详情"), request_views.show, "request.show"),
            ItemVerb(("approve", "同意", "批准", "通过"), request_flow.approve, "request.approve"),
            ItemVerb(
                ("reject", "驳回", "拒绝"),
                request_flow.reject,
                "request.reject",
                frozenset({"reason"}),
            ),
            ItemVerb(
                ("suggest", "建议", "建议调整"),
                request_flow.suggest,
                "request.suggest",
                CHANGE_OPTIONS,
            ),
            ItemVerb(("accept", "接受"), request_flow.accept, "request.accept", CHANGE_OPTIONS),
            ItemVerb(("withdraw", "撤回", "取消"), request_flow.withdraw, "request.withdraw"),
            ItemVerb(
                ("received", "receive", "领取", "领取确认"),
                request_flow.received,
                "request.received",
            ),
            ItemVerb(
                ("return", "writeoff", "write-off", "归还", "核销"),
                request_flow.give_back,
                "request.return",
            ),
            ItemVerb(("confirm", "确认"), request_flow.confirm, "request.confirm"),
        ),
        actions=approvals.actions({"request": REQUEST, "charter": CHARTER}),
    )

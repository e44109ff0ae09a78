"""Reading a request's options: kind words, the usage window, amounts and currencies, the
owning department, and the field changes a suggestion proposes."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from bot.dates.clock import to_aware_utc
from bot.errors import UsageError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.framework import Args
from storage.people import queries as people
from storage.tables import Department, Member, RequestKind, ResourceRequest

KIND_WORDS = {
    "people": RequestKind.PEOPLE,
    "person": RequestKind.PEOPLE,
    "staff": RequestKind.PEOPLE,
    "人力": RequestKind.PEOPLE,
    "人员": RequestKind.PEOPLE,
    "material": RequestKind.MATERIAL,
    "materials": RequestKind.MATERIAL,
    "item": RequestKind.MATERIAL,
    "物料": RequestKind.MATERIAL,
    "物资": RequestKind.MATERIAL,
    "budget": RequestKind.BUDGET,
    "money": RequestKind.BUDGET,
    "预算": RequestKind.BUDGET,
    "经费": RequestKind.BUDGET,
}
# Where a kind of resource lives when the requester does not say (``dept:``).
DEFAULT_OWNERS: dict[str, tuple[str, ...]] = {
    RequestKind.BUDGET: ("财务部", "Finance"),
    RequestKind.MATERIAL: ("行政部", "Administration", "Admin"),
}
CURRENCY_WORDS = {"元": "CNY", "人民币": "CNY", "rmb": "CNY", "¥": "CNY", "￥": "CNY"}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MULTIPLIERS = {"k": Decimal(1000), "w": Decimal(10000), "万": Decimal(10000)}


def parse_amount(text: str, *, usage: str | None) -> Decimal:
    """``8000``, ``8,000``, ``¥8000元``, ``8k``, ``1.5万`` → a positive amount (2 decimals)."""
    value = re.sub(r"[,，_\s¥￥$]", "", text).lower().removesuffix("元")
    factor = _MULTIPLIERS.get(value[-1:], Decimal(1)) if value else Decimal(1)
    if factor != 1:
        value = value[:-1]
    try:
        amount = Decimal(value) * factor
    except InvalidOperation:
        raise UsageError("error.request_bad_amount", usage=usage, value=text) from None
    if not amount.is_finite() or amount <= 0:
        raise UsageError("error.request_bad_amount", usage=usage, value=text)
    return amount.quantize(Decimal("0.01"))


def parse_currency(text: str | None, *, usage: str | None) -> str:
    value = (text or "CNY").strip()
    value = CURRENCY_WORDS.get(value.lower(), value).upper()
    if not _CURRENCY.match(value):
        raise UsageError("error.request_bad_currency", usage=usage, value=text)
    return value


def window(ctx: Context, args: Args, usage: str) -> tuple[datetime, datetime]:
    """``from:D to:D`` in the speaker's zone: from the start of ``from`` to the end of ``to``."""
    start_text, end_text = args.option("from"), args.option("to")
    if not start_text or not end_text:
        raise UsageError("error.request_missing_window", usage=usage)
    start = common.parse_instant(ctx, start_text)
    end, _ = common.parse_deadline(ctx, end_text)
    if end < start:
        raise UsageError("error.request_window_order", usage=usage)
    return start, end


def required(ctx: Context, args: Args, key: str, usage: str) -> str:
    value = args.option(key)
    if not value:
        option = ctx.t(f"request.option.{key}")
        raise UsageError("error.request_missing_option", usage=usage, option=option)
    return value


async def owning_department(
    ctx: Context, kind: str, name: str | None, person: Member | None
) -> Department:
    """``dept:`` if given; else the person's department (people), Finance (budget) or
    Administration (material) when such a department exists."""
    if name:
        return await common.resolve_department(ctx, name, usage="request.new")
    if kind == RequestKind.PEOPLE and person is not None and person.department_id is not None:
        department = await ctx.session.get(Department, person.department_id)
        if department is not None:
            return department
    for candidate in DEFAULT_OWNERS.get(kind, ()):
        department = await people.department_by_name(ctx.session, candidate)
        if department is not None:
            return department
    known = ", ".join(d.name for d in await people.departments(ctx.session)) or "—"
    raise UsageError(
        "error.request_need_dept",
        usage="request.new",
        kind=ctx.t(f"request.kind.{kind}"),
        known=known,
    )


def proposal_from(ctx: Context, args: Args) -> dict[str, str]:
    """The structured part of a suggestion (or of an acceptance): new window, amount, qty."""
    proposal: dict[str, str] = {}
    if start := args.option("from"):
        proposal["from"] = common.parse_instant(ctx, start).isoformat()
    if end := args.option("to"):
        proposal["to"] = common.parse_deadline(ctx, end)[0].isoformat()
    if amount := args.option("amount"):
        proposal["amount"] = str(parse_amount(amount, usage=args.usage))
    if qty := args.option("qty"):
        proposal["qty"] = qty
    return proposal


def apply_changes(
    request: ResourceRequest, proposal: dict[str, str], usage: str | None = None
) -> dict[str, dict[str, str | None]]:
    """Apply a proposal to the request; returns ``{field: {from, to}}`` for the audit log."""
    changes: dict[str, dict[str, str | None]] = {}

    def change(field: str, new: object) -> None:
        old = getattr(request, field)
        if old != new:
            changes[field] = {"from": _text(old), "to": _text(new)}
            setattr(request, field, new)

    if "from" in proposal:
        change("window_start", datetime.fromisoformat(proposal["from"]))
    if "to" in proposal:
        change("window_end", datetime.fromisoformat(proposal["to"]))
    if "amount" in proposal:
        change("amount", Decimal(proposal["amount"]))
    if "qty" in proposal:
        change("quantity", proposal["qty"])
    start, end = request.window_start, request.window_end
    if start is not None and end is not None and to_aware_utc(end) < to_aware_utc(start):
        raise UsageError("error.request_window_order", usage=usage)
    return changes


def _text(value: object) -> str | None:
    if value is None:
        return None
    return to_aware_utc(value).isoformat() if isinstance(value, datetime) else str(value)


def proposal_text(ctx: Context, proposal: dict[str, str]) -> str:
    """``from 12-10; to 12-12; amount 6,000.00`` — a suggestion given only as options."""
    parts = []
    for key, value in proposal.items():
        if key in ("from", "to"):
            shown = timefmt.moment(ctx, datetime.fromisoformat(value), has_time=False)
        elif key == "amount":
            shown = f"{Decimal(value):,.2f}"
        else:
            shown = value
        parts.append(ctx.t(f"request.proposal.{key}", value=shown))
    return "; ".join(parts)

"""The communication plan's clock and wording, shared by the ``plan`` commands and the plan
job: when an item is next due, and how its post reads.

A weekly item is due on its weekday at its time in the project's zone; a daily item on every
working day of the workspace calendar (weekends and public holidays skipped, make-up working
days included).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.dates.workdays import WorkCalendar
from bot.text import timefmt
from bot.text.i18n import t
from bot.text.render import MessageBuilder
from storage.tables import Member, PlanItem

_HORIZON_DAYS = 60  # longer than any run of holidays


def next_due(
    item: PlanItem, zone: ZoneInfo, calendar: WorkCalendar, *, after: datetime
) -> datetime:
    """The item's first occurrence strictly after ``after``, as a UTC instant."""
    hour, minute = (int(part) for part in item.time.split(":"))
    day = after.astimezone(zone).date()
    for _ in range(_HORIZON_DAYS):
        if _on(item, day.weekday(), calendar.is_working_day(day)):
            candidate = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise ValueError(f"plan item {item.id} has no occurrence within {_HORIZON_DAYS} days")


def _on(item: PlanItem, weekday: int, working: bool) -> bool:
    return working if item.weekday is None else weekday == item.weekday


def schedule_text(locale: str, item: PlanItem) -> str:
    """``every Fri 15:00`` / ``every working day 09:00``."""
    if item.weekday is None:
        return t(locale, "plan.daily", time=item.time)
    return t(locale, "plan.weekly", day=timefmt.weekday_name(locale, item.weekday), time=item.time)


def details(
    locale: str, item: PlanItem, owner: Member | None, msg: MessageBuilder
) -> list[tuple[str, str]]:
    """Who / channel / owner / output / note, the ones that are set."""
    rows = [
        ("who", item.who),
        ("channel", item.channel),
        ("owner", msg.mention(owner.id, owner.name) if owner else None),
        ("output", item.output),
        ("note", item.note),
    ]
    return [(t(locale, f"plan.field.{key}"), value) for key, value in rows if value]


def post(locale: str, item: PlanItem, owner: Member | None) -> MessageBuilder:
    """What the job posts into the project groups when the item is due."""
    msg = MessageBuilder()
    msg.section(t(locale, "plan.post", what=item.what, when=schedule_text(locale, item)))
    msg.fields(details(locale, item, owner, msg))
    return msg

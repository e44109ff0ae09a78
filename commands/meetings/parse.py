"""Reading a ``meeting new`` line: when (``at:``, ``every:``), how long, who takes part, and
the agenda (``agenda:"Status 10m; Risks 20m http://wiki/risks; AOB"``).

Every rejection is a ``UsageError`` carrying the verb's usage line; nothing is stored here
except people a console ``@mention`` creates (the dispatcher rolls those back on error).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.dates.clock import to_utc
from bot.errors import UsageError, UserError
from bot.inbound.context import Context
from bot.text import timefmt
from commands import common
from commands.framework import Args
from commands.parsing.dates import parse_datetime, parse_time
from commands.parsing.durations import Duration, parse_duration
from commands.parsing.recurrence import Every, parse_every, weekly_word
from commands.parsing.tokens import Token
from storage.people import queries as people
from storage.tables import Department, Member

MAX_MINUTES = 24 * 60
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_ITEM_SPLIT = re.compile(r"[;；\n]")


@dataclass
class AgendaEntry:
    title: str
    minutes: int | None = None
    material: str | None = None


def with_usage(error: UserError, usage: str) -> UsageError:
    """The date parser's error, shown with this verb's usage line."""
    return UsageError(error.key, usage=usage, **error.params)


def duration_minutes(text: str, *, usage: str) -> int:
    """``1h``, ``90m``, ``1.5h``, ``1小时`` → minutes; a meeting lasts 1 minute to 24 hours."""
    try:
        span = parse_duration(text)
    except UsageError as error:
        raise with_usage(error, usage) from None
    minutes = _whole_minutes(span)
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        raise UsageError("error.meeting_bad_duration", usage=usage, value=text)
    return minutes


def _whole_minutes(span: Duration) -> int | None:
    if span.working_days:
        return None  # "2wd" is not a meeting length
    return (span.days * 86400 + span.seconds) // 60


def recurrence(args: Args) -> Every | None:
    """``every:fri`` / ``每周:五``, or a word ``每周五`` / ``weekly`` in the line (removed from
    the topic). ``every:daily`` is refused: meetings repeat weekly."""
    every: Every | None = None
    for token in list(args.positional):
        found = weekly_word(token.text) if token.kind == "word" else None
        if found is not None:
            every = found
            args.positional.remove(token)
    if (text := args.option("every")) is not None:
        every = parse_every(text, usage="meeting.new")
    if every is not None and every.daily:
        raise UsageError("error.meeting_weekly_only", usage="meeting.new")
    return every


def start_time(ctx: Context, args: Args, every: Every | None) -> datetime:
    """The first start: ``at:`` in the speaker's zone; a bare time with ``every:fri`` (or only
    ``every:"fri 15:00"``) means the next such weekday at that time."""
    text = args.option("at")
    local_now = ctx.local_now()
    if text is None:
        if every is None or every.weekday is None or every.at is None:
            raise UsageError("error.meeting_needs_time", usage="meeting.new")
        return _next_weekday(local_now, every.weekday, every.at)
    bare = parse_time(text)
    if bare is not None and every is not None and every.weekday is not None:
        return _next_weekday(local_now, every.weekday, bare)
    try:
        when, has_time = parse_datetime(text, now=local_now, calendar=ctx.calendar)
    except UsageError as error:
        raise with_usage(error, "meeting.new") from None
    if not has_time:
        raise UsageError("error.meeting_needs_time", usage="meeting.new")
    if every is not None and every.weekday is not None and when.weekday() != every.weekday:
        raise UsageError(
            "error.meeting_every_mismatch",
            usage="meeting.new",
            at=text,
            day=timefmt.weekday_name(ctx.locale, every.weekday),
        )
    return to_utc(when)


def _next_weekday(local_now: datetime, weekday: int, at: time) -> datetime:
    day = local_now.date()
    while True:
        candidate = datetime.combine(day, at, tzinfo=local_now.tzinfo)
        if day.weekday() == weekday and candidate > local_now:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


async def participants(ctx: Context, args: Args) -> tuple[list[Member], list[Department]]:
    """``with:@dan,研发部,Erin``: people by mention or unique name, departments by name."""
    members: list[Member] = []
    departments: list[Department] = []
    for name in args.option_list("with"):
        if name.startswith(("@", "<@")):
            members.append(await common.resolve_member(ctx, name, usage="meeting.new"))
        elif (department := await people.department_by_name(ctx.session, name)) is not None:
            departments.append(department)
        else:
            members.append(await _named_member(ctx, name))
    return members, departments


async def _named_member(ctx: Context, name: str) -> Member:
    found = await people.members_by_name(ctx.session, name)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UsageError("error.ambiguous_member", usage="meeting.new", name=name)
    known = [d.name for d in await people.departments(ctx.session)]
    raise UsageError(
        "error.meeting_unknown_participant",
        usage="meeting.new",
        name=name,
        known=", ".join(known) or "—",
    )


def agenda_entries(text: str) -> list[AgendaEntry]:
    """``a 10m; b 20m http://link; c`` → three entries (time box and material optional)."""
    return [agenda_entry(part.split()) for part in _ITEM_SPLIT.split(text) if part.strip()]


def agenda_entry(words: list[str]) -> AgendaEntry:
    """Words of one item: a link anywhere is its material, a trailing duration its time box."""
    material = next((w for w in words if _URL.match(w)), None)
    words = [w for w in words if w is not material]
    minutes = None
    if len(words) > 1:
        minutes = _time_box(words[-1])
        if minutes is not None:
            words = words[:-1]
    return AgendaEntry(" ".join(words), minutes, material)


def _time_box(word: str) -> int | None:
    try:
        minutes = _whole_minutes(parse_duration(word))
    except UsageError:
        return None
    return minutes if minutes and minutes <= MAX_MINUTES else None


def agenda_from_tokens(tokens: Sequence[Token]) -> AgendaEntry:
    """``meeting M1 agenda "Budget review" 15m http://wiki/budget``: quoted text and words form
    the title, a link the material, a duration after the title the time box."""
    title: list[str] = []
    entry = AgendaEntry("")
    for token in tokens:
        if token.kind == "word" and entry.material is None and _URL.match(token.text):
            entry.material = token.text
        elif token.kind == "word" and title and entry.minutes is None and _time_box(token.text):
            entry.minutes = _time_box(token.text)
        elif token.kind in ("word", "quoted"):
            title.append(token.text)
    entry.title = " ".join(title).strip()
    return entry

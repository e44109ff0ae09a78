"""Dates, times and durations in command arguments, resolved in the speaker's time zone.

Forms follow docs/commands.md ("Tokens"): ``2026-12-05``, ``12-05``, ``12/5``, ``12月5日``,
``today``/``明天``/``后天``, weekdays (``fri``, ``周五``, ``next fri``, ``下周五``, ``this fri``),
offsets ``D+3`` / ``+3d`` / ``+3wd``, times ``15:00`` / ``3pm`` / ``下午3点`` and durations
``1h30m`` / ``2工作日`` / ``1w``. Text is NFKC-normalized first so full-width digits, plus signs
and colons typed with a Chinese IME work too. The functions are pure: "today" and "now" are
passed in, and every rejection is a ``UsageError`` the dispatcher can translate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from bot.dates.workdays import WorkCalendar
from bot.errors import UsageError
from commands.parsing.durations import duration_or_none
from commands.parsing.words import (
    CN_NUM,
    MAX_DAYS,
    MAX_LEN,
    cn_int,
    existing,
    normalize,
    words,
)

_NUM = rf"[0-9]{{1,2}}|[{CN_NUM}]{{1,3}}"

_RELATIVE = words(
    {0: "today 今天 今日", 1: "tomorrow 明天 明日", 2: "后天", 3: "大后天"}
    | {-1: "yesterday 昨天 昨日", -2: "前天"}
)
_EN_WEEKDAYS = words(
    {0: "mon monday", 1: "tue tues tuesday", 2: "wed wednesday", 3: "thu thur thurs thursday"}
    | {4: "fri friday", 5: "sat saturday", 6: "sun sunday"}
)
_CN_WEEKDAYS = words({i: f"{c} {i + 1}" for i, c in enumerate("一二三四五六日")}) | {"天": 6}
_CN_MODES = {"下": "next", "本": "this", "这": "this"}

_FULL_DATES = (
    re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", re.ASCII),
    re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?", re.ASCII),
)
_MONTH_DAYS = (
    re.compile(r"(\d{1,2})[-/](\d{1,2})", re.ASCII),
    re.compile(r"(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?", re.ASCII),
)
_EN_WEEKDAY = re.compile(r"(?:(next|this) )?([a-z]+)")
_CN_WEEKDAY = re.compile(r"(?:([下本这])个?)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_D_OFFSET = re.compile(r"d ?([+-]) ?(\d{1,4})", re.ASCII)
_SIGNED = re.compile(r"([+-]) ?(.+)")

_PERIODS = words(
    {"am": "上午 早上 早晨 凌晨 am a.m.", "noon": "中午", "pm": "下午 傍晚 晚上 pm p.m."}
)
_TIME = re.compile(
    rf"t? ?(?P<cn>上午|早上|早晨|凌晨|中午|下午|傍晚|晚上)? ?(?P<h>{_NUM})"
    rf"(?:(?P<colon>:)(?P<m>[0-9]{{2}})(?::(?P<s>[0-9]{{2}}))?"
    rf"|(?P<dian>[点點时])(?:(?P<dm>{_NUM})分?|(?P<half>半))?)?"
    r" ?(?P<en>am|pm|a\.m\.|p\.m\.)?"
)


def parse_date(text: str, *, today: date, calendar: WorkCalendar) -> date:
    """The date ``text`` names, relative to the speaker's ``today``."""
    found = _date_or_none(normalize(text), today, calendar)
    if found is None:
        raise UsageError("error.bad_date", value=text)
    return found


def parse_time(text: str) -> time | None:
    """A wall time such as ``15:00``, ``9:30``, ``15点``, ``下午3点``, ``3pm``; else ``None``."""
    match = _TIME.fullmatch(normalize(text))
    if match is None or not (match["colon"] or match["dian"] or match["en"]):
        return None
    try:
        hour = _apply_period(cn_int(match["h"]), match["cn"] or match["en"])
        minute = 30 if match["half"] else cn_int(match["m"] or match["dm"] or "0")
        return time(hour, minute, int(match["s"] or 0))
    except ValueError:
        return None


def parse_datetime(text: str, *, now: datetime, calendar: WorkCalendar) -> tuple[datetime, bool]:
    """``(moment, has_time)`` for a date, a date plus time, or a bare time, in ``now``'s zone.

    A bare time means its next occurrence; a date without a time means its midnight.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    found = _datetime_or_none(normalize(text), now, calendar)
    if found is None:
        raise UsageError("error.bad_date", value=text)
    return found


# --- dates -----------------------------------------------------------------------------------


def _date_or_none(s: str, today: date, calendar: WorkCalendar) -> date | None:
    if len(s) > MAX_LEN:
        return None
    for rule in _DATE_RULES:
        try:
            found = rule(s, today, calendar)
        except (ValueError, OverflowError):
            return None
        if found is not None:
            return found
    return None


def _numeric_date(s: str, today: date, calendar: WorkCalendar) -> date | None:
    for pattern in _FULL_DATES:
        if match := pattern.fullmatch(s):
            return date(int(match[1]), int(match[2]), int(match[3]))
    for pattern in _MONTH_DAYS:
        if match := pattern.fullmatch(s):
            return _closest_year(int(match[1]), int(match[2]), today)
    return None


def _closest_year(month: int, day: int, today: date) -> date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue  # Feb 29 outside leap years, or a year past 9999
    if not candidates:
        raise ValueError(f"no date {month}-{day}")
    # On a tie prefer the future: deadlines are set ahead more often than looked back on.
    return min(candidates, key=lambda c: (abs((c - today).days), c < today))


def _relative_word(s: str, today: date, calendar: WorkCalendar) -> date | None:
    offset = _RELATIVE.get(s)
    return None if offset is None else today + timedelta(days=offset)


def _weekday(s: str, today: date, calendar: WorkCalendar) -> date | None:
    if match := _EN_WEEKDAY.fullmatch(s):
        mode, wanted = match[1] or "", _EN_WEEKDAYS.get(match[2])
    elif match := _CN_WEEKDAY.fullmatch(s):
        mode, wanted = _CN_MODES.get(match[1] or "", ""), _CN_WEEKDAYS[match[2]]
    else:
        return None
    if wanted is None:
        return None
    monday = today - timedelta(days=today.weekday())
    if mode == "next":
        return monday + timedelta(days=7 + wanted)
    if mode == "this":
        return monday + timedelta(days=wanted)
    return today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)


def _offset(s: str, today: date, calendar: WorkCalendar) -> date | None:
    if match := _D_OFFSET.fullmatch(s):
        return _shift(today, int(match[2]) * (-1 if match[1] == "-" else 1))
    match = _SIGNED.fullmatch(s)
    duration = duration_or_none(match[2]) if match else None
    if match is None or duration is None or duration.seconds:
        return None
    if duration.working_days:
        if match[1] == "-" or duration.days:
            return None
        return calendar.add_working_days(today, duration.working_days)
    return _shift(today, duration.days * (-1 if match[1] == "-" else 1))


def _shift(today: date, days: int) -> date:
    if abs(days) > MAX_DAYS:
        raise ValueError(f"offset too large: {days}")
    return today + timedelta(days=days)


_DATE_RULES: tuple[Callable[[str, date, WorkCalendar], date | None], ...] = (
    _numeric_date,
    _relative_word,
    _weekday,
    _offset,
)


# --- times and date-times ----------------------------------------------------------------------


def _apply_period(hour: int, period: str | None) -> int:
    if period and period.isascii() and not 1 <= hour <= 12:
        raise ValueError(f"{hour}{period} is not a 12-hour time")  # 下午15点 is fine, 15pm not
    kind = _PERIODS.get(period or "")
    if kind == "am" and hour <= 12:
        return 0 if hour == 12 else hour
    if kind == "pm" and hour <= 23:
        return hour + 12 if hour < 12 else hour
    if kind == "noon" and hour <= 23:
        return hour + 12 if hour < 6 else hour  # 中午1点 is 13:00, 中午12点 is noon
    if kind is None:
        return hour
    raise ValueError(f"hour {hour} does not fit {period}")


def _datetime_or_none(
    s: str, now: datetime, calendar: WorkCalendar
) -> tuple[datetime, bool] | None:
    if len(s) > MAX_LEN:
        return None
    if (at := parse_time(s)) is not None:
        return _next_occurrence(at, now), True
    if (day := _date_or_none(s, now.date(), calendar)) is not None:
        return _aware(day, time(0), now.tzinfo), False
    for head, tail in _splits(s):
        at = parse_time(tail)
        day = _date_or_none(head, now.date(), calendar) if at is not None else None
        if at is not None and day is not None:
            return _aware(day, at, now.tzinfo), True
    return None


def _splits(s: str) -> Iterator[tuple[str, str]]:
    """(date, time) candidates: split at a space, a ``T``, or where Chinese text meets ASCII."""
    for i in range(1, len(s)):
        if s[i] in " t" or not (s[i - 1].isascii() and s[i].isascii()):
            yield s[:i].strip(), s[i:].strip()


def _next_occurrence(at: time, now: datetime) -> datetime:
    candidate = _aware(now.date(), at, now.tzinfo)
    if candidate <= now:
        candidate = _aware(now.date() + timedelta(days=1), at, now.tzinfo)
    return candidate


def _aware(day: date, at: time, zone: tzinfo | None) -> datetime:
    return existing(datetime.combine(day, at, tzinfo=zone))


# --- durations ---------------------------------------------------------------------------------

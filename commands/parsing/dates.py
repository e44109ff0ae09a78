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
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from typing import TypeVar

from bot.dates.workdays import WorkCalendar
from bot.errors import UsageError

MAX_DAYS = 3660
"""Largest offset or duration, in days: anything further is a typo, and it bounds loops."""

_T = TypeVar("_T")


def _words(table: dict[_T, str]) -> dict[str, _T]:
    """Invert ``{value: "word word …"}`` into ``{word: value}``."""
    return {word: value for value, words in table.items() for word in words.split()}


_MAX_LEN = 64  # no date or duration is longer; bounds the split search on hostile input
_CN_NUM = "零〇一二两三四五六七八九十"
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_NUM = rf"[0-9]{{1,2}}|[{_CN_NUM}]{{1,3}}"

_RELATIVE = _words(
    {0: "today 今天 今日", 1: "tomorrow 明天 明日", 2: "后天", 3: "大后天"}
    | {-1: "yesterday 昨天 昨日", -2: "前天"}
)
_EN_WEEKDAYS = _words(
    {0: "mon monday", 1: "tue tues tuesday", 2: "wed wednesday", 3: "thu thur thurs thursday"}
    | {4: "fri friday", 5: "sat saturday", 6: "sun sunday"}
)
_CN_WEEKDAYS = _words({i: f"{c} {i + 1}" for i, c in enumerate("一二三四五六日")}) | {"天": 6}
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

_PERIODS = _words(
    {"am": "上午 早上 早晨 凌晨 am a.m.", "noon": "中午", "pm": "下午 傍晚 晚上 pm p.m."}
)
_TIME = re.compile(
    rf"t? ?(?P<cn>上午|早上|早晨|凌晨|中午|下午|傍晚|晚上)? ?(?P<h>{_NUM})"
    rf"(?:(?P<colon>:)(?P<m>[0-9]{{2}})(?::(?P<s>[0-9]{{2}}))?"
    rf"|(?P<dian>[点點时])(?:(?P<dm>{_NUM})分?|(?P<half>半))?)?"
    r" ?(?P<en>am|pm|a\.m\.|p\.m\.)?"
)

_UNITS: dict[str, tuple[str, int]] = _words(
    {("days", 7): "w wk week weeks 周 星期 个星期", ("days", 1): "d day days 天"}
    | {("working_days", 1): "wd workday workdays 工作日 个工作日"}
    | {("seconds", 3600): "h hr hrs hour hours 小时 个小时 钟头 个钟头"}
    | {("seconds", 60): "m min mins minute minutes 分钟 分"}
)
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_DURATION_PART = re.compile(
    rf" ?([0-9]{{1,6}}(?:\.[0-9]{{1,6}})?|[{_CN_NUM}]{{1,3}}) ?({_UNIT_RE})"
)


@dataclass(frozen=True)
class Duration:
    """A span of wall-clock ``days``, elapsed ``seconds`` and calendar ``working_days``."""

    days: int = 0
    seconds: int = 0
    working_days: int = 0

    def to_timedelta(self) -> timedelta:
        if self.working_days:
            raise ValueError("working days depend on a calendar; use Duration.after()")
        return timedelta(days=self.days, seconds=self.seconds)

    def after(self, start: datetime, calendar: WorkCalendar) -> datetime:
        """``start`` moved by this duration, in ``start``'s time zone.

        Days keep the local wall time (a daily reminder stays at 09:00 across DST); seconds
        are real elapsed time; working days follow ``calendar.add_working_time``.
        """
        if start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        moved = calendar.add_working_time(start, self.working_days) if self.working_days else start
        moved = _existing(moved + timedelta(days=self.days))
        return (moved.astimezone(UTC) + timedelta(seconds=self.seconds)).astimezone(start.tzinfo)


def parse_date(text: str, *, today: date, calendar: WorkCalendar) -> date:
    """The date ``text`` names, relative to the speaker's ``today``."""
    found = _date_or_none(_normalize(text), today, calendar)
    if found is None:
        raise UsageError("error.bad_date", value=text)
    return found


def parse_time(text: str) -> time | None:
    """A wall time such as ``15:00``, ``9:30``, ``15点``, ``下午3点``, ``3pm``; else ``None``."""
    match = _TIME.fullmatch(_normalize(text))
    if match is None or not (match["colon"] or match["dian"] or match["en"]):
        return None
    try:
        hour = _apply_period(_int(match["h"]), match["cn"] or match["en"])
        minute = 30 if match["half"] else _int(match["m"] or match["dm"] or "0")
        return time(hour, minute, int(match["s"] or 0))
    except ValueError:
        return None


def parse_datetime(text: str, *, now: datetime, calendar: WorkCalendar) -> tuple[datetime, bool]:
    """``(moment, has_time)`` for a date, a date plus time, or a bare time, in ``now``'s zone.

    A bare time means its next occurrence; a date without a time means its midnight.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    found = _datetime_or_none(_normalize(text), now, calendar)
    if found is None:
        raise UsageError("error.bad_date", value=text)
    return found


def parse_duration(text: str) -> Duration:
    """A duration such as ``30m``, ``1.5h``, ``1h30m``, ``3天``, ``2wd`` or ``1周``."""
    found = _duration_or_none(_normalize(text))
    if found is None:
        raise UsageError("error.bad_duration", value=text)
    return found


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _int(token: str) -> int:
    """An integer written in ASCII digits or Chinese numerals up to 99 (``十五``, ``两``)."""
    if token.isascii():
        return int(token)
    tens, sep, ones = token.partition("十")
    if not sep:
        tens, ones = "零", tens
    if len(tens) > 1 or len(ones) > 1 or any(c not in _CN_DIGITS for c in tens + ones):
        raise ValueError(f"not a number: {token!r}")
    high = _CN_DIGITS[tens] if tens else 1  # "十五" is 15
    return high * 10 + (_CN_DIGITS[ones] if ones else 0)


# --- dates -----------------------------------------------------------------------------------


def _date_or_none(s: str, today: date, calendar: WorkCalendar) -> date | None:
    if len(s) > _MAX_LEN:
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
    duration = _duration_or_none(match[2]) if match else None
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
    if len(s) > _MAX_LEN:
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
    return _existing(datetime.combine(day, at, tzinfo=zone))


def _existing(moment: datetime) -> datetime:
    """Shift a wall time that falls into a DST gap onto a real instant."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo)


# --- durations ---------------------------------------------------------------------------------


def _duration_or_none(s: str) -> Duration | None:
    if not s or len(s) > _MAX_LEN:
        return None
    totals = {"days": Fraction(0), "seconds": Fraction(0), "working_days": Fraction(0)}
    pos = 0
    try:
        while pos < len(s):
            match = _DURATION_PART.match(s, pos)
            if match is None:
                return None
            field, factor = _UNITS[match[2]]
            number = Fraction(match[1]) if match[1].isascii() else Fraction(_int(match[1]))
            totals[field] += number * factor
            pos = match.end()
    except ValueError:
        return None
    return _build_duration(totals["days"], totals["seconds"], totals["working_days"])


def _build_duration(days: Fraction, seconds: Fraction, working: Fraction) -> Duration | None:
    if working.denominator != 1 or not 0 < days + seconds / 86400 + working <= MAX_DAYS:
        return None
    whole_days = int(days)
    total_seconds = round((days - whole_days) * 86400 + seconds)
    if not (whole_days or total_seconds or working):
        return None  # rounds to nothing, e.g. 0.001m
    return Duration(days=whole_days, seconds=total_seconds, working_days=int(working))

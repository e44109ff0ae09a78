"""Durations in command arguments: ``30m``, ``1.5h``, ``1h30m``, ``3天``, ``2wd``, ``1周``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from bot.dates.workdays import WorkCalendar
from bot.errors import UsageError
from commands.parsing.words import CN_NUM, MAX_DAYS, MAX_LEN, cn_int, existing, normalize, words

_UNITS: dict[str, tuple[str, int]] = words(
    {("days", 7): "w wk week weeks 周 星期 个星期", ("days", 1): "d day days 天"}
    | {("working_days", 1): "wd workday workdays 工作日 个工作日"}
    | {("seconds", 3600): "h hr hrs hour hours 小时 个小时 钟头 个钟头"}
    | {("seconds", 60): "m min mins minute minutes 分钟 分"}
)
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_DURATION_PART = re.compile(rf" ?([0-9]{{1,6}}(?:\.[0-9]{{1,6}})?|[{CN_NUM}]{{1,3}}) ?({_UNIT_RE})")


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
        moved = existing(moved + timedelta(days=self.days))
        return (moved.astimezone(UTC) + timedelta(seconds=self.seconds)).astimezone(start.tzinfo)


def parse_duration(text: str) -> Duration:
    """A duration such as ``30m``, ``1.5h``, ``1h30m``, ``3天``, ``2wd`` or ``1周``."""
    found = duration_or_none(normalize(text))
    if found is None:
        raise UsageError("error.bad_duration", value=text)
    return found


def duration_or_none(s: str) -> Duration | None:
    if not s or len(s) > MAX_LEN:
        return None
    totals = {"days": Fraction(0), "seconds": Fraction(0), "working_days": Fraction(0)}
    pos = 0
    try:
        while pos < len(s):
            match = _DURATION_PART.match(s, pos)
            if match is None:
                return None
            field, factor = _UNITS[match[2]]
            number = Fraction(match[1]) if match[1].isascii() else Fraction(cn_int(match[1]))
            totals[field] += number * factor
            pos = match.end()
    except ValueError:
        return None
    return build_duration(totals["days"], totals["seconds"], totals["working_days"])


def build_duration(days: Fraction, seconds: Fraction, working: Fraction) -> Duration | None:
    if working.denominator != 1 or not 0 < days + seconds / 86400 + working <= MAX_DAYS:
        return None
    whole_days = int(days)
    total_seconds = round((days - whole_days) * 86400 + seconds)
    if not (whole_days or total_seconds or working):
        return None  # rounds to nothing, e.g. 0.001m
    return Duration(days=whole_days, seconds=total_seconds, working_days=int(working))

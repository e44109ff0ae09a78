"""Working-day calendars: which dates count for reminders, due dates and SLA clocks.

A working day is any day that is neither a weekend nor a public holiday. Mainland China (the
default for Feishu/DingTalk tenants) also turns some weekends into make-up working days (调休),
so a list of holidays is not enough. We therefore rely on maintained calendars instead of
hand-written holiday tables, which go stale every year:

* ``chinese_calendar`` (pip ``chinesecalendar``) follows the State Council schedule, including
  make-up days; for years it does not cover yet we fall back to ``holidays``' CN calendar.
* ``holidays`` serves every other workspace by country code (``US``, ``DE``) or country plus
  subdivision (``US-CA``), with that country's own weekend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import chinese_calendar
import holidays

from bot.errors import ConfigError

WorkdayRule = Callable[[date], bool]

DAY_START = time(9, 0)
"""Local wall time at which working time starts when counting from a non-working day."""

# Real calendars never go a year without a working day; a bad rule must not loop forever.
_MAX_GAP_DAYS = 366


class WorkCalendar:
    """Working-day arithmetic over one rule ``date -> is this a working day``."""

    def __init__(self, name: str, rule: WorkdayRule) -> None:
        self.name = name
        self._rule = rule

    def __repr__(self) -> str:
        return f"WorkCalendar({self.name!r})"

    def is_working_day(self, d: date) -> bool:
        return self._rule(_as_date(d))

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        day = _as_date(d)
        for _ in range(_MAX_GAP_DAYS):
            day += timedelta(days=1)
            if self._rule(day):
                return day
        raise ValueError(f"calendar {self.name!r} has no working day in the year after {d}")

    def add_working_days(self, start: date, n: int) -> date:
        """``n`` working days after ``start``; a non-working ``start`` counts from the next one.

        ``n == 0`` gives ``start`` itself if it is a working day, else the next working day.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        day = _as_date(start)
        if not self._rule(day):
            day = self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def add_working_time(self, start: datetime, days: int) -> datetime:
        """The same local wall time ``days`` working days after the aware ``start``.

        Starting on a non-working day, the clock starts on the next working day at 09:00.
        """
        if start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        base = start
        if not self._rule(start.date()):
            first = self.next_working_day(start.date())
            base = datetime.combine(first, DAY_START, tzinfo=start.tzinfo)
        target = self.add_working_days(base.date(), days)
        return _existing(base.replace(year=target.year, month=target.month, day=target.day))

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days lie in ``(a, b]``; 0 when ``b <= a``."""
        first = _as_date(a)
        span = (_as_date(b) - first).days
        return sum(1 for k in range(1, span + 1) if self._rule(first + timedelta(days=k)))


def make_calendar(name: str = "CN") -> WorkCalendar:
    """The calendar a workspace configured: ``CN``, ``weekends``/``none`` or a country code.

    Raises ``ConfigError`` for a code the ``holidays`` package does not know.
    """
    return _calendar(name.strip().upper())


@cache
def _calendar(key: str) -> WorkCalendar:
    if key in ("WEEKENDS", "NONE"):
        return WorkCalendar(key.lower(), _is_weekday)
    if key == "CN":
        return WorkCalendar(key, _china_rule())
    return WorkCalendar(key, _country_holidays(key).is_working_day)


def _china_rule() -> WorkdayRule:
    fallback = holidays.country_holidays("CN")

    def rule(d: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:  # a year the package does not publish yet
            return bool(fallback.is_working_day(d))

    return rule


def _country_holidays(code: str) -> holidays.HolidayBase:
    country, _, subdiv = code.partition("-")
    try:
        return holidays.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError as exc:
        raise ConfigError(
            f"Unknown work calendar {code!r} ({exc}). Use CN, weekends, none, or a country "
            "code from the 'holidays' package such as US, DE, SG, optionally with a "
            "subdivision such as US-CA."
        ) from exc


def _is_weekday(d: date) -> bool:
    return d.weekday() < 5


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def _existing(moment: datetime) -> datetime:
    """Shift a wall time that falls into a DST gap onto a real instant."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo)

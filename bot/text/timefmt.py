"""How dates, times and durations read in every message: one place, so a deadline looks the
same on the board, in a reminder, on an approval card and in the digest.

Dates are shown as ``12-05`` within the reader's current year and ``2027-01-05`` otherwise;
times as ``15:00`` in the reader's zone; a missing value as ``—``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.dates.clock import to_aware_utc
from bot.text.i18n import Translator, t

NONE = "—"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A bare-date deadline or ETA is stored as the end of that day (23:59:59 local).
_END_OF_DAY = (23, 59, 59)


class Reader(Protocol):
    """Whoever reads the text: their zone and the current time (a command's context is one)."""

    tz: ZoneInfo

    def now(self) -> datetime: ...


def day(moment: datetime | date, this_year: int) -> str:
    """``12-05``, or ``2027-01-05`` when the year is not ``this_year``."""
    return moment.strftime("%m-%d" if moment.year == this_year else "%Y-%m-%d")


def moment_in(
    instant: datetime | None, zone: ZoneInfo, now: datetime, has_time: bool = True
) -> str:
    """``12-05`` / ``12-05 18:00`` in ``zone``, with the year when it is not this year there."""
    if instant is None:
        return NONE
    local = to_aware_utc(instant).astimezone(zone)
    text = day(local, to_aware_utc(now).astimezone(zone).year)
    return f"{text} {local:%H:%M}" if has_time else text


def moment(
    reader: Reader, instant: datetime | None, has_time: bool = True, tz: ZoneInfo | None = None
) -> str:
    """An instant for ``reader`` (in ``tz`` when given, else the reader's zone)."""
    return moment_in(instant, tz or reader.tz, reader.now(), has_time)


def date_only(value: date | None) -> str:
    """A calendar date (a milestone, a phase end) as stored: ``2026-12-20``."""
    return NONE if value is None else value.isoformat()


def eta(reader: Reader, instant: datetime | None) -> str:
    """A deadline-like instant: without the time when it is the end of a day."""
    if instant is None:
        return NONE
    local = to_aware_utc(instant).astimezone(reader.tz)
    end_of_day = (local.hour, local.minute, local.second) == _END_OF_DAY
    return moment(reader, instant, not end_of_day)


def span(t: Translator, length: timedelta) -> str:
    """``2d 3h`` / ``1h 20m`` / ``45m`` (``2天3小时`` …), never negative."""
    minutes = max(0, round(length.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("issue.span_dh", d=days, h=hours)
    if hours:
        return t("issue.span_hm", h=hours, m=mins)
    return t("issue.span_m", m=mins)


def weekday_name(locale: str, weekday: int) -> str:
    """``Fri`` / ``周五`` (``weekday``: 0 = Monday)."""
    return t(locale, f"weekday.{WEEKDAYS[weekday]}")

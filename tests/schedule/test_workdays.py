"""Working-day calendars: the official CN schedule with make-up days, fallbacks, other countries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates.workdays import WorkCalendar, make_calendar
from bot.errors import ConfigError

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")

# Official State Council schedules (国务院办公厅关于节假日安排的通知).
NATIONAL_DAY_2025 = [date(2025, 10, d) for d in range(1, 9)]
SPRING_FESTIVAL_2025 = [date(2025, 1, 28) + timedelta(days=k) for k in range(8)]
NATIONAL_DAY_2026 = [date(2026, 10, d) for d in range(1, 8)]
SPRING_FESTIVAL_2026 = [date(2026, 2, d) for d in range(15, 24)]
MAKE_UP_DAYS = [
    date(2025, 1, 26),  # Sun, Spring Festival
    date(2025, 2, 8),  # Sat, Spring Festival
    date(2025, 9, 28),  # Sun, National Day
    date(2025, 10, 11),  # Sat, National Day
    date(2026, 2, 14),  # Sat, Spring Festival
    date(2026, 2, 28),  # Sat, Spring Festival
    date(2026, 9, 20),  # Sun, National Day
    date(2026, 10, 10),  # Sat, National Day
]


@pytest.fixture
def cn() -> WorkCalendar:
    return make_calendar("CN")


@pytest.mark.parametrize(
    "day", NATIONAL_DAY_2025 + SPRING_FESTIVAL_2025 + NATIONAL_DAY_2026 + SPRING_FESTIVAL_2026
)
def test_cn_public_holidays_are_off(cn: WorkCalendar, day: date) -> None:
    assert not cn.is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP_DAYS)
def test_cn_make_up_weekend_days_are_working(cn: WorkCalendar, day: date) -> None:
    assert day.weekday() >= 5
    assert cn.is_working_day(day)


def test_cn_plain_weekend_and_weekday(cn: WorkCalendar) -> None:
    assert not cn.is_working_day(date(2025, 10, 18))  # Sat
    assert not cn.is_working_day(date(2025, 10, 19))  # Sun
    assert cn.is_working_day(date(2025, 10, 17))  # Fri
    assert cn.is_working_day(datetime(2025, 10, 17, 23, 0, tzinfo=SHANGHAI))


def test_default_calendar_is_cn_and_cached() -> None:
    assert make_calendar() is make_calendar("CN")
    assert make_calendar(" cn ") is make_calendar("CN")
    assert make_calendar("us") is make_calendar("US")
    assert make_calendar().name == "CN"


def test_next_working_day_skips_the_golden_week(cn: WorkCalendar) -> None:
    assert cn.next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)
    assert cn.next_working_day(date(2025, 10, 10)) == date(2025, 10, 11)  # make-up Saturday
    assert cn.next_working_day(date(2025, 10, 17)) == date(2025, 10, 20)


def test_add_working_days(cn: WorkCalendar) -> None:
    assert cn.add_working_days(date(2025, 10, 17), 1) == date(2025, 10, 20)  # Fri → Mon
    assert cn.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)  # → make-up Sun
    assert cn.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert cn.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)


def test_add_zero_working_days_rolls_forward_only_when_off(cn: WorkCalendar) -> None:
    assert cn.add_working_days(date(2025, 10, 17), 0) == date(2025, 10, 17)
    assert cn.add_working_days(date(2025, 10, 18), 0) == date(2025, 10, 20)
    assert cn.add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 9)


def test_add_working_days_counts_from_the_next_working_day(cn: WorkCalendar) -> None:
    assert cn.add_working_days(date(2025, 10, 18), 1) == date(2025, 10, 21)  # Sat + 1


def test_negative_working_days_are_rejected(cn: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cn.add_working_days(date(2025, 10, 17), -1)


def test_add_working_time_keeps_the_wall_time(cn: WorkCalendar) -> None:
    start = datetime(2025, 9, 30, 14, 30, tzinfo=SHANGHAI)
    assert cn.add_working_time(start, 1) == datetime(2025, 10, 9, 14, 30, tzinfo=SHANGHAI)
    assert cn.add_working_time(start, 0) == start


def test_add_working_time_from_a_day_off_starts_at_nine(cn: WorkCalendar) -> None:
    saturday_night = datetime(2025, 10, 18, 22, 0, tzinfo=SHANGHAI)
    assert cn.add_working_time(saturday_night, 0) == datetime(2025, 10, 20, 9, 0, tzinfo=SHANGHAI)
    assert cn.add_working_time(saturday_night, 1) == datetime(2025, 10, 21, 9, 0, tzinfo=SHANGHAI)


def test_add_working_time_across_dst_keeps_local_time() -> None:
    us = make_calendar("US")
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=LOS_ANGELES)  # PST; DST starts Sun 03-08
    monday = us.add_working_time(friday, 1)
    assert (monday.date(), monday.hour, monday.minute) == (date(2026, 3, 9), 10, 0)
    assert monday.utcoffset() == timedelta(hours=-7)


def test_add_working_time_needs_an_aware_datetime(cn: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        cn.add_working_time(datetime(2025, 10, 17, 9, 0), 1)


def test_working_days_between(cn: WorkCalendar) -> None:
    assert cn.working_days_between(date(2025, 9, 30), date(2025, 10, 10)) == 2
    assert cn.working_days_between(date(2025, 10, 17), date(2025, 10, 20)) == 1
    assert cn.working_days_between(date(2025, 9, 26), date(2025, 9, 29)) == 2  # Sun make-up
    assert cn.working_days_between(date(2025, 10, 17), date(2025, 10, 17)) == 0
    assert cn.working_days_between(date(2025, 10, 20), date(2025, 10, 17)) == 0


def test_cn_falls_back_to_holidays_for_uncovered_years(
    cn: WorkCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    def uncovered(_: date) -> bool:
        raise NotImplementedError("no available data")

    monkeypatch.setattr(chinese_calendar, "is_workday", uncovered)
    assert not cn.is_working_day(date(2025, 10, 1))
    assert not cn.is_working_day(date(2025, 10, 18))  # plain Saturday
    assert cn.is_working_day(date(2025, 10, 20))


def test_cn_far_future_year_still_answers(cn: WorkCalendar) -> None:
    assert not cn.is_working_day(date(2040, 10, 1))  # National Day, via holidays
    assert not cn.is_working_day(date(2040, 3, 10))  # Saturday
    assert cn.is_working_day(date(2040, 3, 13))  # Tuesday


def test_us_calendar_has_independence_day() -> None:
    us = make_calendar("US")
    assert not us.is_working_day(date(2025, 7, 4))
    assert us.is_working_day(date(2025, 7, 3))
    assert not us.is_working_day(date(2026, 7, 3))  # observed: the 4th is a Saturday
    assert us.next_working_day(date(2025, 7, 3)) == date(2025, 7, 7)


def test_subdivision_codes() -> None:
    assert not make_calendar("US-CA").is_working_day(date(2025, 3, 31))  # César Chávez Day
    assert make_calendar("US").is_working_day(date(2025, 3, 31))
    assert not make_calendar("DE").is_working_day(date(2025, 10, 3))


@pytest.mark.parametrize("name", ["weekends", "none", "WEEKENDS"])
def test_plain_weekend_calendars(name: str) -> None:
    plain = make_calendar(name)
    assert plain.is_working_day(date(2025, 10, 1))
    assert not plain.is_working_day(date(2025, 9, 28))
    assert plain.add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 6)


@pytest.mark.parametrize("name", ["XX", "US-ZZ", "", "Mars"])
def test_unknown_calendar_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match="Unknown work calendar"):
        make_calendar(name)


@settings(deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
    name=st.sampled_from(["CN", "weekends", "US"]),
)
def test_adding_then_counting_round_trips(start: date, n: int, name: str) -> None:
    calendar = make_calendar(name)
    first = calendar.add_working_days(start, 0)
    end = calendar.add_working_days(start, n)
    assert calendar.is_working_day(end)
    assert calendar.working_days_between(first, end) == n

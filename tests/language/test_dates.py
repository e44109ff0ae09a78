"""Date, time and duration parsing in the speaker's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates.workdays import make_calendar
from bot.errors import UsageError
from bot.text.i18n import catalog, t
from commands.parsing.dates import parse_date, parse_datetime, parse_time
from commands.parsing.durations import Duration, parse_duration

CN = make_calendar("CN")
TODAY = date(2026, 3, 4)  # a Wednesday
SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 3, 4, 16, 0, tzinfo=SHANGHAI)


def d(text: str, today: date = TODAY) -> date:
    return parse_date(text, today=today, calendar=CN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05", date(2026, 12, 5)),
        ("2026/12/5", date(2026, 12, 5)),
        ("2026年12月5日", date(2026, 12, 5)),
        ("2027-01-02", date(2027, 1, 2)),
        ("04-20", date(2026, 4, 20)),
        ("4/20", date(2026, 4, 20)),
        ("4月20日", date(2026, 4, 20)),
        ("4月20号", date(2026, 4, 20)),
        ("today", TODAY),
        ("今天", TODAY),
        ("Tomorrow", date(2026, 3, 5)),
        ("明天", date(2026, 3, 5)),
        ("后天", date(2026, 3, 6)),
        ("yesterday", date(2026, 3, 3)),
        ("昨天", date(2026, 3, 3)),
        ("D+3", date(2026, 3, 7)),
        ("d+3", date(2026, 3, 7)),
        ("D-2", date(2026, 3, 2)),
        ("+3d", date(2026, 3, 7)),
        ("+1w", date(2026, 3, 11)),
        ("+3wd", date(2026, 3, 9)),  # Thu, Fri, Mon
        ("+3工作日", date(2026, 3, 9)),
        ("Ｄ＋３", date(2026, 3, 7)),  # full-width
        ("２０２６－１２－０５", date(2026, 12, 5)),
    ],
)
def test_date_forms(text: str, expected: date) -> None:
    assert d(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # bare weekday: the next such day strictly after today (Wed 2026-03-04)
        ("mon", date(2026, 3, 9)),
        ("Tuesday", date(2026, 3, 10)),
        ("wed", date(2026, 3, 11)),
        ("thu", date(2026, 3, 5)),
        ("fri", date(2026, 3, 6)),
        ("friday", date(2026, 3, 6)),
        ("sat", date(2026, 3, 7)),
        ("sunday", date(2026, 3, 8)),
        ("周一", date(2026, 3, 9)),
        ("周五", date(2026, 3, 6)),
        ("周日", date(2026, 3, 8)),
        ("周天", date(2026, 3, 8)),
        ("星期五", date(2026, 3, 6)),
        ("星期日", date(2026, 3, 8)),
        ("星期天", date(2026, 3, 8)),
        ("礼拜一", date(2026, 3, 9)),
        # next: that weekday in the next Monday-based week
        ("next fri", date(2026, 3, 13)),
        ("next monday", date(2026, 3, 9)),
        ("下周五", date(2026, 3, 13)),
        ("下星期五", date(2026, 3, 13)),
        ("下周一", date(2026, 3, 9)),
        # this: that weekday in the current week, even if already past
        ("this fri", date(2026, 3, 6)),
        ("this mon", date(2026, 3, 2)),
        ("本周五", date(2026, 3, 6)),
        ("这周五", date(2026, 3, 6)),
    ],
)
def test_weekday_forms(text: str, expected: date) -> None:
    assert d(text) == expected


def test_bare_weekday_on_that_weekday_means_next_week() -> None:
    assert d("wed") == TODAY + timedelta(days=7)
    assert d("周三") == TODAY + timedelta(days=7)


def test_working_day_offsets_skip_the_golden_week() -> None:
    # 2026: Oct 1–7 off, Sat Oct 10 is a make-up working day.
    assert d("+1wd", today=date(2026, 9, 30)) == date(2026, 10, 8)
    assert d("+3wd", today=date(2026, 9, 30)) == date(2026, 10, 10)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("01-05", date(2026, 12, 20), date(2027, 1, 5)),  # next year is closest
        ("12-20", date(2026, 1, 10), date(2025, 12, 20)),  # last year is closest
        ("06-20", date(2026, 6, 15), date(2026, 6, 20)),
        ("06-10", date(2026, 6, 15), date(2026, 6, 10)),  # a recent past date stays this year
        ("02-29", date(2027, 6, 1), date(2028, 2, 29)),  # only leap year in reach
    ],
)
def test_month_day_picks_the_closest_year(text: str, today: date, expected: date) -> None:
    assert d(text, today=today) == expected


@pytest.mark.parametrize(
    "text",
    ["13-45", "2026-02-30", "02-29", "soon", "", "next", "next week", "+2h", "-1wd", "D+",
     "D+99999", "+0d", "2026-13-01", "周八", "2026年2月30日"],
)  # fmt: skip
def test_bad_dates(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        d(text, today=date(2026, 6, 1))
    assert caught.value.key == "error.bad_date"
    assert caught.value.params == {"value": text}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:00", time(15, 0)),
        ("9:30", time(9, 30)),
        ("09:30:15", time(9, 30, 15)),
        ("15点", time(15, 0)),
        ("15点30分", time(15, 30)),
        ("3点半", time(3, 30)),
        ("下午3点", time(15, 0)),
        ("下午三点半", time(15, 30)),
        ("上午9点", time(9, 0)),
        ("晚上8点", time(20, 0)),
        ("中午12点", time(12, 0)),
        ("中午1点", time(13, 0)),
        ("3pm", time(15, 0)),
        ("3 PM", time(15, 0)),
        ("3:30pm", time(15, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("11am", time(11, 0)),
        ("T15:00", time(15, 0)),
        ("15：00", time(15, 0)),  # full-width colon
    ],
)
def test_time_forms(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "15", "25:00", "9:60", "13pm", "下午", "noon", "9:5"])
def test_not_a_time(text: str) -> None:
    assert parse_time(text) is None


def dt(text: str, now: datetime = NOW) -> tuple[datetime, bool]:
    return parse_datetime(text, now=now, calendar=CN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05 15:00", datetime(2026, 12, 5, 15, 0, tzinfo=SHANGHAI)),
        ("2026-12-05T15:00", datetime(2026, 12, 5, 15, 0, tzinfo=SHANGHAI)),
        ("明天 15:00", datetime(2026, 3, 5, 15, 0, tzinfo=SHANGHAI)),
        ("明天下午3点", datetime(2026, 3, 5, 15, 0, tzinfo=SHANGHAI)),
        ("明天15点", datetime(2026, 3, 5, 15, 0, tzinfo=SHANGHAI)),
        ("fri 10:00", datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)),
        ("next fri 3pm", datetime(2026, 3, 13, 15, 0, tzinfo=SHANGHAI)),
        ("12/5 9:30", datetime(2025, 12, 5, 9, 30, tzinfo=SHANGHAI)),
        ("17:00", datetime(2026, 3, 4, 17, 0, tzinfo=SHANGHAI)),  # still ahead today
        ("15:00", datetime(2026, 3, 5, 15, 0, tzinfo=SHANGHAI)),  # passed: tomorrow
        ("16:00", datetime(2026, 3, 5, 16, 0, tzinfo=SHANGHAI)),  # exactly now: tomorrow
    ],
)
def test_datetime_with_time(text: str, expected: datetime) -> None:
    moment, has_time = dt(text)
    assert moment == expected
    assert moment.tzinfo is SHANGHAI
    assert has_time


def test_datetime_without_time_is_midnight() -> None:
    moment, has_time = dt("2026-12-05")
    assert moment == datetime(2026, 12, 5, tzinfo=SHANGHAI)
    assert not has_time


@pytest.mark.parametrize(
    "text", ["soon", "明天 25:00", "2026-02-30 15:00", "2026-12-0515:00", "15", "fri at 10"]
)
def test_bad_datetimes(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        dt(text)
    assert (caught.value.key, caught.value.params) == ("error.bad_date", {"value": text})


def test_tomorrow_depends_on_the_speakers_zone() -> None:
    instant = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # Thu 04:00 Shanghai, Wed 12:00 LA
    in_shanghai, _ = dt("tomorrow", now=instant.astimezone(SHANGHAI))
    in_la, _ = dt("tomorrow", now=instant.astimezone(LOS_ANGELES))
    assert in_shanghai.date() == date(2026, 3, 6)
    assert in_la.date() == date(2026, 3, 5)
    assert in_la.tzinfo is LOS_ANGELES


def test_time_in_a_dst_gap_moves_to_a_real_instant() -> None:
    now = datetime(2026, 3, 7, 12, 0, tzinfo=LOS_ANGELES)
    moment, _ = dt("2026-03-08 02:30", now=now)  # clocks jump 02:00 → 03:00
    assert (moment.hour, moment.minute) == (3, 30)
    assert moment.utcoffset() == timedelta(hours=-7)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_datetime("tomorrow", now=datetime(2026, 3, 4, 16, 0), calendar=CN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", Duration(seconds=1800)),
        ("30min", Duration(seconds=1800)),
        ("2h", Duration(seconds=7200)),
        ("1.5h", Duration(seconds=5400)),
        ("90分钟", Duration(seconds=5400)),
        ("2小时", Duration(seconds=7200)),
        ("两小时", Duration(seconds=7200)),
        ("3d", Duration(days=3)),
        ("3天", Duration(days=3)),
        ("2wd", Duration(working_days=2)),
        ("2工作日", Duration(working_days=2)),
        ("3个工作日", Duration(working_days=3)),
        ("1w", Duration(days=7)),
        ("1周", Duration(days=7)),
        ("1h30m", Duration(seconds=5400)),
        ("1h 30m", Duration(seconds=5400)),
        ("1d2h", Duration(days=1, seconds=7200)),
        ("1.5d", Duration(days=1, seconds=43200)),
        ("２Ｈ", Duration(seconds=7200)),
    ],
)
def test_duration_forms(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "soon", "30", "0m", "1.5wd", "h", "1h30", "-2h", "99999d", "2 months"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration(text)
    assert (caught.value.key, caught.value.params) == ("error.bad_duration", {"value": text})


def test_duration_to_timedelta() -> None:
    assert parse_duration("1d2h").to_timedelta() == timedelta(days=1, hours=2)
    with pytest.raises(ValueError, match="calendar"):
        parse_duration("2wd").to_timedelta()


def test_duration_after() -> None:
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=LOS_ANGELES)  # DST starts Sun 03-08
    one_day = parse_duration("3d").after(friday, CN)
    assert (one_day.day, one_day.hour) == (9, 10)  # wall time kept
    two_days_in_hours = parse_duration("72h").after(friday, CN)
    assert (two_days_in_hours.day, two_days_in_hours.hour) == (9, 11)  # elapsed time
    assert parse_duration("2wd").after(datetime(2026, 9, 30, 11, 0, tzinfo=SHANGHAI), CN) == (
        datetime(2026, 10, 9, 11, 0, tzinfo=SHANGHAI)
    )


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_messages_exist_in_every_locale(locale: str) -> None:
    for key in ("error.bad_date", "error.bad_duration"):
        assert "“soon”" in t(locale, key, value="soon")
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert all(f"weekday.{day}" in catalog(locale) for day in days)


# Structured noise reaches deeper into the grammar than arbitrary Unicode alone.
NOISE = st.text(
    alphabet="0123456789-/+:. dDtTwhm年月日号周星期天下本这个点半上午后工作日apmＤ＋３：",
    max_size=16,
)
ANY_TEXT = st.one_of(st.text(max_size=40), NOISE)


def outcome(call: Callable[[], object]) -> object:
    """The call's result, or the key of the ``UsageError`` it raised."""
    try:
        return call()
    except UsageError as exc:
        return exc.key


@settings(deadline=None)
@given(text=ANY_TEXT, today=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)))
def test_parse_date_returns_or_raises_usage_error(text: str, today: date) -> None:
    result = outcome(lambda: parse_date(text, today=today, calendar=CN))
    assert isinstance(result, date) or result == "error.bad_date"


@given(text=ANY_TEXT, today=st.dates())
def test_parse_date_survives_the_ends_of_the_calendar(text: str, today: date) -> None:
    weekends = make_calendar("weekends")
    result = outcome(lambda: parse_date(text, today=today, calendar=weekends))
    assert isinstance(result, date) or result == "error.bad_date"


@given(text=ANY_TEXT)
def test_parse_duration_returns_or_raises_usage_error(text: str) -> None:
    result = outcome(lambda: parse_duration(text))
    assert isinstance(result, Duration) or result == "error.bad_duration"


@settings(deadline=None)
@given(
    text=ANY_TEXT,
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    zone=st.sampled_from([SHANGHAI, LOS_ANGELES, UTC]),
)
def test_parse_datetime_returns_or_raises_usage_error(
    text: str, now: datetime, zone: tzinfo
) -> None:
    result = outcome(lambda: parse_datetime(text, now=now.replace(tzinfo=zone), calendar=CN))
    if result != "error.bad_date":
        assert isinstance(result, tuple)
        assert result[0].tzinfo is zone
        assert isinstance(result[1], bool)

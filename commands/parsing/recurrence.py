"""``every:`` values of meetings and the communication plan: a weekday (``fri``, ``周五``,
``星期五``, ``每周五``) or every working day (``daily``, ``每天``, ``工作日``), optionally
followed by a time (``fri 15:00``, ``周五15:00``, ``每天 09:00``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time

from bot.errors import UsageError
from commands.parsing.dates import parse_time

_EN_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_DAYS = {w: i for i, n in enumerate(_EN_NAMES) for w in (n[:3], n, n + "s")}
_EN_DAYS |= {"tues": 1, "thur": 3, "thurs": 3}
_CN_DAYS = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6, "七": 6}
_CN_DAY = re.compile(r"(?:每个?)?(?:周|星期|礼拜)?([一二三四五六日天1-7])")
_DAILY = {
    "daily",
    "day",
    "days",
    "everyday",
    "weekdays",
    "workdays",
    "每天",
    "每日",
    "天",
    "工作日",
}
_DAILY |= {"每个工作日", "working days", "every day", "every working day"}
_WEEKLY = {"weekly", "week", "每周", "每星期", "周"}
_EN_PREFIX = re.compile(r"^(?:every|each|on)\s+")


@dataclass(frozen=True)
class Every:
    """A recurrence: ``weekday`` 0–6 (Monday = 0); ``None`` with ``daily`` for every working
    day, or (``weekly`` without a day) the weekday of the first date; ``at`` the time given."""

    weekday: int | None
    at: time | None
    daily: bool = False


def parse_every(text: str, *, usage: str) -> Every:
    value = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    for day_text, at in _day_and_time(value):
        found = _day(day_text)
        if found is not None:
            weekday, daily = found
            return Every(weekday, at, daily)
    raise UsageError("error.bad_every", usage=usage, value=text)


def _day_and_time(value: str) -> list[tuple[str, time | None]]:
    """(day text, time) candidates: the whole value, or a head and a trailing time."""
    out: list[tuple[str, time | None]] = [(value, None)]
    for i in range(1, min(len(value), 40)):
        head, tail = value[:i].strip(), value[i:].strip()
        at = parse_time(tail) if head and (value[i] == " " or not value[i - 1].isascii()) else None
        if at is not None:
            out.append((head, at))
    return out


def _day(text: str) -> tuple[int | None, bool] | None:
    """``(weekday, daily)`` for a day word, ``None`` when it is not one."""
    text = _EN_PREFIX.sub("", text).strip()
    if text in _DAILY:
        return None, True
    if text in _WEEKLY:
        return None, False
    if text in _EN_DAYS:
        return _EN_DAYS[text], False
    match = _CN_DAY.fullmatch(text)
    if match is None:
        return None
    char = match[1]
    return (int(char) - 1 if char.isdigit() else _CN_DAYS[char]), False


def weekly_word(token: str) -> Every | None:
    """A positional recurrence word in a meeting line: ``每周五``, ``每周``, ``weekly``."""
    value = unicodedata.normalize("NFKC", token).lower()
    if value in _WEEKLY - {"周", "week"}:
        return Every(None, None)
    if value.startswith("每") and (found := _day(value)) is not None and not found[1]:
        return Every(found[0], None)
    return None

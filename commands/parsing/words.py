"""What dates, times and durations share: word tables, Chinese numerals, NFKC
normalisation, the length bound on hostile input and DST-safe wall times."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import TypeVar

MAX_DAYS = 3660
"""Largest offset or duration, in days: anything further is a typo, and it bounds loops."""

_T = TypeVar("_T")


def words(table: dict[_T, str]) -> dict[str, _T]:
    """Invert ``{value: "word word …"}`` into ``{word: value}``."""
    return {word: value for value, words in table.items() for word in words.split()}


MAX_LEN = 64  # no date or duration is longer; bounds the split search on hostile input
CN_NUM = "零〇一二两三四五六七八九十"
CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def cn_int(token: str) -> int:
    """An integer written in ASCII digits or Chinese numerals up to 99 (``十五``, ``两``)."""
    if token.isascii():
        return int(token)
    tens, sep, ones = token.partition("十")
    if not sep:
        tens, ones = "零", tens
    if len(tens) > 1 or len(ones) > 1 or any(c not in CN_DIGITS for c in tens + ones):
        raise ValueError(f"not a number: {token!r}")
    high = CN_DIGITS[tens] if tens else 1  # "十五" is 15
    return high * 10 + (CN_DIGITS[ones] if ones else 0)


def existing(moment: datetime) -> datetime:
    """Shift a wall time that falls into a DST gap onto a real instant."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo)

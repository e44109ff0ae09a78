"""Time is injected: production uses ``SystemClock``; the console and tests use ``ManualClock``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = to_aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = to_aware_utc(instant)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class ShiftedClock(ManualClock):
    """The wall clock, shifted by however far it was moved (the console without ``--now``)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        self._offset = to_aware_utc(instant) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


def to_aware_utc(instant: datetime) -> datetime:
    """Naive datetimes are taken to be UTC."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def to_utc(instant: datetime) -> datetime:
    """The store's representation of an instant: aware, in UTC."""
    return to_aware_utc(instant)

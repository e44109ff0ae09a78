"""Sending limits as token buckets, driven by the injected clock.

``AppLimits`` keeps one bucket per platform in this process (with N replicas configure 1/N of
the app limit); the per-chat buckets live on the chat's ``OutboxLane`` row, so every replica
shares them (``bot.outbound.delivery`` loads and stores them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.settings import DeliverySettings, RateLimit


@dataclass
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``rate <= 0`` means unlimited."""

    rate: float
    burst: int
    tokens: float | None = None  # None: full
    updated: datetime | None = None

    def __post_init__(self) -> None:
        if self.tokens is None:
            self.tokens = self.capacity

    @property
    def capacity(self) -> float:
        return float(max(self.burst, 1))

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def _level(self, now: datetime) -> float:
        """Tokens at ``now`` (refilled since ``updated``), and remember that."""
        tokens = self.capacity if self.tokens is None else self.tokens
        if self.updated is not None and now > self.updated:
            elapsed = (now - self.updated).total_seconds()
            tokens = min(self.capacity, tokens + elapsed * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now
        self.tokens = tokens
        return tokens

    def ready(self, now: datetime) -> bool:
        return self.unlimited or self._level(now) >= 1.0

    def take(self, now: datetime) -> bool:
        """Spend one token if there is one at ``now``."""
        if not self.ready(now):
            return False
        if not self.unlimited:
            self.tokens = self._level(now) - 1.0
        return True

    def next_token_at(self, now: datetime) -> datetime | None:
        """When a token is there again; None if there is one now (or no limit)."""
        if self.unlimited:
            return None
        level = self._level(now)
        return None if level >= 1.0 else now + timedelta(seconds=(1.0 - level) / self.rate)


class AppLimits:
    """The token buckets of every platform this process sends to."""

    def __init__(self, limits: Callable[[str], RateLimit]) -> None:
        self._limits = limits
        self._buckets: dict[str, TokenBucket] = {}

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> AppLimits:
        return cls(settings.limits)

    def bucket(self, platform: str) -> TokenBucket:
        if platform not in self._buckets:
            limit = self._limits(platform)
            self._buckets[platform] = TokenBucket(limit.app_per_second, limit.app_burst)
        return self._buckets[platform]

    def take(self, platform: str, now: datetime) -> bool:
        return self.bucket(platform).take(now)

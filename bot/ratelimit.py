"""App-wide sending limits: one token bucket per platform, driven by the injected clock.

Per-chat pacing is not here: it lives in the database (``OutboxLane.next_send_at``) so every
replica sees it. The app bucket is per process; with N replicas configure 1/N of the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.settings import DeliverySettings, RateLimit


@dataclass
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``rate <= 0`` means unlimited."""

    rate: float
    burst: int
    tokens: float = 0.0
    updated: datetime | None = None

    def __post_init__(self) -> None:
        self.tokens = float(max(self.burst, 1))

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def _refill(self, now: datetime) -> None:
        if self.updated is not None and now > self.updated:
            elapsed = (now - self.updated).total_seconds()
            self.tokens = min(float(max(self.burst, 1)), self.tokens + elapsed * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now

    def take(self, now: datetime) -> bool:
        """Spend one token if there is one at ``now``."""
        if self.unlimited:
            return True
        self._refill(now)
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def seconds_until_token(self, now: datetime) -> float:
        if self.unlimited:
            return 0.0
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.rate)


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

"""Timing helpers: best and median of repeated runs, after one warm-up run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Milliseconds: the best run (stable on a busy machine) and the median."""

    best: float
    median: float


async def time_ms(run: Callable[[], Awaitable[Any]], repeat: int) -> Timing:
    await run()  # warm-up: statement caches, connection pool
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(min(samples), statistics.median(samples))


async def elapsed_s(run: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started

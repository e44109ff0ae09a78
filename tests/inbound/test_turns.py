"""SQLite transactions take turns in the process: first come, first served, except that
storing an inbound event (a platform waits for the acknowledgement) goes first."""

from __future__ import annotations

import asyncio

import pytest

from storage.db import Turns


async def test_urgent_waiters_go_before_ordinary_ones_and_order_is_kept() -> None:
    turns = Turns()
    await turns.acquire()
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await turns.acquire(urgent=urgent)
        order.append(name)
        turns.release()

    waiting = [
        asyncio.create_task(take("work 1", False)),
        asyncio.create_task(take("work 2", False)),
        asyncio.create_task(take("ack 1", True)),
        asyncio.create_task(take("ack 2", True)),
    ]
    await asyncio.sleep(0)  # all four are queued behind the holder
    turns.release()
    await asyncio.gather(*waiting)
    assert order == ["ack 1", "ack 2", "work 1", "work 2"]


async def test_a_cancelled_waiter_neither_holds_nor_blocks_the_turn() -> None:
    turns = Turns()
    await turns.acquire()
    gave_up = asyncio.create_task(turns.acquire())
    await asyncio.sleep(0)
    gave_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    turns.release()
    async with asyncio.timeout(1):
        await turns.acquire()  # free again: the cancelled waiter took nothing
    turns.release()

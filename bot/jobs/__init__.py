"""Scheduled jobs: each module exposes ``async def run(ctx: JobContext) -> None``.

A job asks the database what is due at ``ctx.now`` and writes its messages through
``bot.notify.send_once``, so running it twice (or on two replicas) sends nothing twice.
"""

from __future__ import annotations

"""Scheduled jobs: each module exposes ``async def run(ctx: JobContext) -> None`` that asks the
database what is due at ``ctx.now`` and acts exactly once (``bot.notify.send_once`` keys).

Jobs import ``bot`` and ``storage`` only; ``bot.main.scheduled_jobs`` lists them.
"""

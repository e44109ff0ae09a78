"""Scheduled jobs: each module exposes ``async def run(ctx: JobContext) -> None`` that asks the
database what is due at ``ctx.now`` and acts exactly once: messages go through ``bot.outbound.notify.to_groups`` / ``to_person`` under
ledger keys, and every due item runs in its own transaction (``support.each_item``).

Jobs import ``bot`` and ``storage`` only; ``bot.main.scheduled_jobs`` lists them.
"""

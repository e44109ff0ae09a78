"""Scheduled jobs: each is ``async def run(ctx: JobContext) -> None`` over what is due now.

Registered in ``bot.main.scheduled_jobs``; every message goes through ``send_once`` keys, so a
job can run any number of times, on any number of replicas, and after downtime.
"""

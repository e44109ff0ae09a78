"""``concord outbox``: which messages are stuck and why; ``concord outbox retry`` queues failed
ones again. Operator-facing text, in English."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_aware_utc
from bot.text.messages import Message
from storage.delivery import outbox
from storage.tables import Outbox, OutboxStatus

STUCK_AFTER = timedelta(minutes=5)
PREVIEW = 70


async def report(session: AsyncSession, *, now: datetime) -> str:
    counts = await outbox.status_counts(session)
    rows = await outbox.stuck(session, now=now, older_than=STUCK_AFTER)
    head = (
        f"Outbox: {counts.get(OutboxStatus.PENDING, 0)} pending, {counts.get(OutboxStatus.FAILED, 0)} failed; "
        f"{len(rows)} stuck (failed, retrying after errors, or due over "
        f"{STUCK_AFTER.seconds // 60} min ago)."
    )
    if not rows:
        return head + "\nNothing is stuck."
    body = [line for row in rows for line in describe(row, now)]
    hint = "Queue failed messages again with: concord outbox retry [ID …]"
    return "\n".join([head, "", *body, hint])


def describe(row: Outbox, now: datetime) -> list[str]:
    where = f"{row.platform}:{row.chat_external_id}" + (" (DM)" if row.is_direct else "")
    due = to_aware_utc(row.next_attempt_at)
    lines = [
        f"#{row.id}  {row.status:<7}  {where}  {row.kind}  attempts={row.attempts}",
        f"    created {_stamp(row.created_at)} · next attempt {_stamp(due)}"
        + (f" · failing since {_stamp(row.failing_since)}" if row.failing_since else ""),
    ]
    if row.last_error:
        lines.append(f"    error: {row.last_error}")
    lines.append(f"    “{preview(row.payload)}”")
    return lines


def preview(payload: str) -> str:
    text = " ".join(Message.from_json(payload).plain_text().split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _stamp(moment: datetime) -> str:
    return f"{to_aware_utc(moment):%Y-%m-%d %H:%M} UTC"


async def retry(session: AsyncSession, *, now: datetime, ids: Sequence[int]) -> str:
    count = await outbox.retry_failed(session, now=now, ids=ids)
    which = f" of {len(ids)} given" if ids else ""
    return f"{count} failed message(s){which} queued again; the delivery worker sends them next."

"""Approval-step time: the approver's zone and the working-day deadline of a step.

Shared by the approval commands (which set a step's deadline when it opens) and the
scheduler job (which finds steps past it), so both count the same working days.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_utc
from bot.dates.workdays import WorkCalendar
from bot.outbound import targets
from bot.settings import Settings
from storage.tables import Member


async def approver_zone(session: AsyncSession, settings: Settings, member: Member) -> ZoneInfo:
    """The approver's zone, by the one person policy (``bot.outbound.targets.person_zone``)."""
    return await targets.person_zone(session, settings, member)


def step_deadline(
    calendar: WorkCalendar, settings: Settings, start: datetime, zone: ZoneInfo
) -> datetime:
    """``settings.requests.step_working_days`` working days after ``start``, counted in the
    approver's zone (their weekend and holidays), as a UTC instant."""
    local = start.astimezone(zone)
    return to_utc(calendar.add_working_time(local, settings.requests.step_working_days))

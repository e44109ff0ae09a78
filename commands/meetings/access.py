"""Finding a meeting by number, and who may record it: its organizer, its recorder, or a PM
(anyone in the project group may schedule one)."""

from __future__ import annotations

from bot.errors import Conflict, NotFound, PermissionDenied
from bot.inbound.context import Context
from commands import common
from commands.meetings.messages import state
from storage import rows
from storage.meetings import queries as meetings
from storage.rows import id_of
from storage.tables import Meeting


async def get_meeting(ctx: Context, number: int, *, lock: bool = False) -> Meeting:
    """The project's meeting by number; ``lock=True`` (every command that changes it) re-reads it and holds
    it until commit, so a change made at the same moment on another replica goes first or
    waits, and the state this command checks is the state it changes."""
    project = common.require_project(ctx)
    meeting = await meetings.meeting_by_number(
        ctx.session, project_id=id_of(project), number=number
    )
    if meeting is None:
        raise NotFound("error.unknown_meeting", ref=f"M{number}")
    return await rows.lock(ctx.session, meeting) if lock else meeting


async def check_recorder(ctx: Context, meeting: Meeting) -> None:
    """Raise ``PermissionDenied`` unless the actor organizes, records, or is a PM."""
    allowed = await common.pm_ids(ctx, common.require_project(ctx))
    allowed |= {i for i in (meeting.organizer_id, meeting.recorder_id) if i is not None}
    if ctx.actor_id in allowed:
        return
    names = sorted("@" + m.name for m in (await common.member_map(ctx, allowed)).values())
    raise PermissionDenied(
        "error.meeting_permission", ref=f"M{meeting.number}", who=", ".join(names)
    )


def check_state(ctx: Context, meeting: Meeting, allowed: tuple[str, ...]) -> None:
    """Raise ``Conflict`` when the meeting's status is not one of ``allowed``."""
    if meeting.status in allowed:
        return
    raise Conflict(
        "error.meeting_state",
        ref=f"M{meeting.number}",
        topic=meeting.topic,
        state=state(ctx.locale, meeting, ctx.now()),
    )

"""Meeting lists: ``meeting`` (upcoming, and held ones still owing minutes) and the ``my``
section with the minutes the actor owes as a recorder."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.inbound.context import Context
from bot.outbound import targets
from bot.text import timefmt
from bot.text.render import MessageBuilder
from commands import common
from commands.framework import Args
from commands.meetings.messages import span, state, when
from storage.meetings import queries as meetings
from storage.projects import queries as projects
from storage.rows import id_of
from storage.tables import Meeting


async def list_meetings(ctx: Context, args: Args) -> None:
    project = common.require_project(ctx)
    now, zone = ctx.now_utc(), await targets.project_zone(ctx.session, ctx.settings, id_of(project))
    coming = await meetings.upcoming(ctx.session, project_id=id_of(project), now=now)
    owing = await meetings.awaiting_minutes(ctx.session, project_id=id_of(project), now=now)
    msg = ctx.message()
    msg.header(ctx.t("meeting.list_header", ref=f"P{project.id}", name=project.name))
    if not coming and not owing:
        msg.section(ctx.t("meeting.list_empty"))
    if coming:
        lines = [ctx.t("meeting.upcoming_title", count=len(coming))]
        msg.lines(lines + ["• " + _line(ctx, m, zone) for m in coming])
    if owing:
        lines = [ctx.t("meeting.owing_title", count=len(owing))]
        msg.lines(lines + ["• " + _owing_line(ctx, m, zone) for m in owing])
    ctx.reply(msg)


def _line(ctx: Context, meeting: Meeting, zone: ZoneInfo) -> str:
    parts = [f"M{meeting.number} {meeting.topic} — {span(ctx.locale, meeting, zone, ctx.now())}"]
    if meeting.every_weekday is not None:
        parts.append(
            ctx.t("meeting.weekly", day=timefmt.weekday_name(ctx.locale, meeting.every_weekday))
        )
    if meeting.starts_at <= ctx.now():
        parts.append(state(ctx.locale, meeting, ctx.now()))
    return " · ".join(parts)


def _owing_line(ctx: Context, meeting: Meeting, zone: ZoneInfo) -> str:
    now = ctx.now()
    due = meeting.minutes_due_at or now
    key = "meeting.minutes_late" if due <= now else "meeting.minutes_due_short"
    text = ctx.t(key, due=when(ctx.locale, due, zone, now))
    return f"M{meeting.number} {meeting.topic} — {when(ctx.locale, meeting.starts_at, zone, now)} · {text}"


async def my_minutes(ctx: Context, msg: MessageBuilder) -> None:
    """``my``: held meetings whose minutes the actor, as recorder, has not published."""
    owed = await meetings.minutes_owed_by(ctx.session, member_id=ctx.actor_id, now=ctx.now_utc())
    if not owed:
        return
    names = await _project_names(ctx, [m.project_id for m in owed])
    lines = [ctx.t("meeting.my_title", count=len(owed))]
    for meeting in owed:
        lines.append(
            "• "
            + ctx.t(
                "meeting.my_line",
                ref=f"M{meeting.number}",
                topic=meeting.topic,
                project=f"P{meeting.project_id} {names[meeting.project_id]}",
                start=when(ctx.locale, meeting.starts_at, ctx.tz, ctx.now()),
                due=when(ctx.locale, meeting.minutes_due_at or ctx.now(), ctx.tz, ctx.now()),
            )
        )
    msg.lines(lines)


async def _project_names(ctx: Context, ids: Sequence[int]) -> dict[int, str]:
    out = {}
    for project_id in dict.fromkeys(ids):
        project = await projects.get_project(ctx.session, project_id)
        out[project_id] = project.name if project else "?"
    return out

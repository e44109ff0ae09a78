"""Telling everyone about a meeting: each project group in its language and time zone, and
every attendee by DM in theirs (the minutes and cancellations go out this way)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.inbound.context import Context
from bot.outbound import targets
from bot.text.i18n import t
from bot.text.render import MessageBuilder
from commands.meetings.facts import MeetingView, attendees
from commands.meetings.messages import span
from storage.rows import id_of

Build = Callable[[str, ZoneInfo], MessageBuilder]


async def broadcast(ctx: Context, view: MeetingView, build: Build) -> tuple[int, int]:
    """Post ``build(locale, zone)`` to every project group that takes it (``settings
    notify:``) — the one spoken in as the reply — and DM every attendee except the actor.
    Returns (groups, people) reached."""
    invited = await attendees(ctx.session, view)
    groups = await targets.group_audiences(
        ctx.session, ctx.settings, id_of(view.project), concerns=[m.id for m in invited]
    )
    here = False
    for group in groups:
        msg = build(group.locale, group.zone)
        if group.recipient_id == ctx.chat.id:
            ctx.reply(msg)
            here = True
        else:
            ctx.send(group.target, msg)
    if not here:
        ctx.reply(
            build(
                ctx.locale,
                await targets.project_zone(ctx.session, ctx.settings, id_of(view.project)),
            )
        )
    people = 0
    for member in invited:
        dm = await targets.dm_target(ctx.session, member, prefer=ctx.platform)
        if member.id == ctx.actor_id or dm is None:
            continue
        locale = targets.member_locale(ctx.settings, member, dm.platform)
        ctx.send(dm, build(locale, await targets.person_zone(ctx.session, ctx.settings, member)))
        people += 1
    return len(groups), people


def cancel_notice(
    ctx: Context, view: MeetingView, locale: str, zone: ZoneInfo, reason: str
) -> MessageBuilder:
    msg = MessageBuilder()
    msg.section(
        t(
            locale,
            "meeting.cancelled",
            ref=view.ref,
            topic=view.meeting.topic,
            span=span(locale, view.meeting, zone, ctx.now()),
            zone=zone.key,
            actor=msg.mention(ctx.actor_id, ctx.actor.name),
            reason=reason,
        )
    )
    return msg

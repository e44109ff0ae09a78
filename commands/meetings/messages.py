"""How a meeting reads — its card, agenda, start reminder, minutes and minutes reminder — in
any locale and time zone, for the ``meeting`` commands and the meeting job alike.

Every function takes the reader's ``locale`` and ``zone``: the group sees the project's zone,
a participant's DM shows their own first. Words come from ``meetings.toml``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.text import timefmt
from bot.text.i18n import t
from bot.text.render import MessageBuilder
from commands.meetings.facts import MeetingView, other_zones
from storage.meetings.queries import ends_at
from storage.tables import Meeting, MeetingStatus, Task, TaskStatus


def when(locale: str, instant: datetime, zone: ZoneInfo, now: datetime) -> str:
    """``Fri 11-27 15:00`` (with the year when it is not this year's)."""
    local = instant.astimezone(zone)
    day = timefmt.day(local, now.astimezone(zone).year)
    return f"{timefmt.weekday_name(locale, local.weekday())} {day} {local:%H:%M}"


def span(locale: str, meeting: Meeting, zone: ZoneInfo, now: datetime) -> str:
    """``Fri 11-27 15:00–16:00``."""
    end = ends_at(meeting).astimezone(zone)
    return f"{when(locale, meeting.starts_at, zone, now)}–{end:%H:%M}"


def state(locale: str, meeting: Meeting, now: datetime) -> str:
    """What the meeting is now: scheduled, in progress, awaiting minutes, minutes published,
    cancelled."""
    if meeting.status in (MeetingStatus.DONE, MeetingStatus.CANCELLED):
        key = meeting.status
    elif now < meeting.starts_at:
        key = "scheduled"
    else:
        key = "in_progress" if now < ends_at(meeting) else "awaiting_minutes"
    return t(locale, f"meeting.state.{key}")


def who(view: MeetingView, msg: MessageBuilder, member_id: int | None) -> str:
    return msg.mention(member_id, view.name(member_id)) if member_id in view.members else "—"


def participants_text(view: MeetingView, msg: MessageBuilder) -> str:
    names = [who(view, msg, i) for i in view.person_ids]
    return ", ".join(names + [d.name for d in view.departments]) or "—"


def time_fields(
    view: MeetingView, locale: str, zone: ZoneInfo, now: datetime
) -> list[tuple[str, str]]:
    """The time in ``zone``, then in every participant zone that differs from it."""
    meeting = view.meeting
    fields = [
        (
            t(locale, "meeting.field.time"),
            t(locale, "meeting.time", span=span(locale, meeting, zone, now), zone=zone.key),
        )
    ]
    lines = [
        t(
            locale,
            "meeting.zone_line",
            span=span(locale, meeting, their, now),
            zone=their.key,
            who=", ".join(names),
        )
        for their, names in other_zones(view, zone)
    ]
    if lines:
        fields.append((t(locale, "meeting.field.zones"), "\n".join(lines)))
    if meeting.every_weekday is not None:
        day = timefmt.weekday_name(locale, meeting.every_weekday)
        fields.append((t(locale, "meeting.field.repeats"), t(locale, "meeting.weekly", day=day)))
    return fields


def people_fields(view: MeetingView, msg: MessageBuilder, locale: str) -> list[tuple[str, str]]:
    return [
        (t(locale, "meeting.field.organizer"), who(view, msg, view.meeting.organizer_id)),
        (t(locale, "meeting.field.recorder"), who(view, msg, view.meeting.recorder_id)),
        (t(locale, "meeting.field.participants"), participants_text(view, msg)),
    ]


def agenda_lines(view: MeetingView, locale: str) -> list[str]:
    boxed = sum(item.minutes or 0 for item in view.agenda)
    title = t(
        locale,
        "meeting.agenda_title",
        count=len(view.agenda),
        boxed=boxed,
        total=view.meeting.duration_minutes,
    )
    lines = [title]
    for item in view.agenda:
        parts = [f"{item.position}. {item.title}"]
        if item.minutes:
            parts.append(t(locale, "meeting.minutes_box", minutes=item.minutes))
        if item.material:
            parts.append(item.material)
        lines.append("  " + " · ".join(parts))
    if not view.agenda:
        lines.append("  " + t(locale, "meeting.no_agenda"))
    elif boxed > view.meeting.duration_minutes:
        lines.append(
            t(locale, "meeting.agenda_overrun", boxed=boxed, total=view.meeting.duration_minutes)
        )
    return lines


def decision_lines(view: MeetingView, msg: MessageBuilder, locale: str) -> list[str]:
    lines = [t(locale, "meeting.decisions_title", count=len(view.decisions))]
    lines += [f"  {n}. {d.text}" for n, d in enumerate(view.decisions, 1)]
    if not view.decisions:
        lines.append("  " + t(locale, "meeting.none"))
    return lines


def action_line(
    view: MeetingView, msg: MessageBuilder, task: Task, locale: str, zone: ZoneInfo, now: datetime
) -> str:
    """``T3 Prepare the checklist — @bob · due 12-01 · std: … · to do``"""
    parts = [who(view, msg, task.owner_id) if task.owner_id else t(locale, "task.unassigned")]
    if task.due_at is not None:
        due = task.due_at.astimezone(zone)
        stamp = when(locale, task.due_at, zone, now) if task.due_has_time else f"{due:%m-%d}"
        parts.append(t(locale, "task.due_short", due=stamp))
    if task.standard:
        parts.append(t(locale, "meeting.standard", text=task.standard))
    parts.append(t(locale, f"status.{task.status}"))
    return f"T{task.number} {task.title} — " + " · ".join(parts)


def action_lines(
    view: MeetingView, msg: MessageBuilder, locale: str, zone: ZoneInfo, now: datetime
) -> list[str]:
    done = sum(1 for task in view.actions if task.status == TaskStatus.DONE)
    lines = [t(locale, "meeting.actions_title", count=len(view.actions), done=done)]
    lines += ["  • " + action_line(view, msg, a, locale, zone, now) for a in view.actions]
    if not view.actions:
        lines.append("  " + t(locale, "meeting.none"))
    return lines


def card(
    view: MeetingView, locale: str, zone: ZoneInfo, now: datetime, *, lead: str | None = None
) -> MessageBuilder:
    """Everything about one meeting (``meeting M4``), after an optional ``lead`` line."""
    meeting, msg = view.meeting, MessageBuilder()
    if lead:
        msg.section(lead)
    msg.header(
        t(
            locale,
            "meeting.header",
            ref=view.ref,
            topic=meeting.topic,
            state=state(locale, meeting, now),
        )
    )
    msg.fields(time_fields(view, locale, zone, now) + people_fields(view, msg, locale))
    msg.lines(agenda_lines(view, locale))
    if view.decisions or view.actions or now >= meeting.starts_at:
        msg.lines(decision_lines(view, msg, locale))
        msg.lines(action_lines(view, msg, locale, zone, now))
    msg.context(footer(view, locale, zone, now))
    return msg


def footer(view: MeetingView, locale: str, zone: ZoneInfo, now: datetime) -> str:
    meeting = view.meeting
    if meeting.minutes_published_at is not None:
        return t(
            locale, "meeting.published_at", at=when(locale, meeting.minutes_published_at, zone, now)
        )
    if meeting.status == MeetingStatus.CANCELLED:
        return t(locale, "meeting.cancelled_note")
    agenda = (
        t(locale, "meeting.agenda_sent", at=when(locale, meeting.agenda_sent_at, zone, now))
        if meeting.agenda_sent_at
        else t(
            locale, "meeting.agenda_due", at=when(locale, meeting.agenda_due_at or now, zone, now)
        )
    )
    minutes = when(locale, meeting.minutes_due_at or now, zone, now)
    return t(locale, "meeting.footer", agenda=agenda, minutes=minutes)


def agenda_message(view: MeetingView, locale: str, zone: ZoneInfo, now: datetime) -> MessageBuilder:
    """The agenda sent ahead of the meeting (3 days before, or at once on short notice)."""
    msg = MessageBuilder()
    msg.header(t(locale, "meeting.agenda_header", ref=view.ref, topic=view.meeting.topic))
    msg.fields(time_fields(view, locale, zone, now) + people_fields(view, msg, locale))
    msg.lines(agenda_lines(view, locale))
    msg.context(t(locale, "meeting.agenda_hint", ref=view.ref))
    return msg


def start_message(view: MeetingView, locale: str, zone: ZoneInfo, now: datetime) -> MessageBuilder:
    msg = MessageBuilder()
    everyone = [who(view, msg, i) for i in _all_people(view)]
    msg.section(
        t(
            locale,
            "meeting.starting",
            ref=view.ref,
            topic=view.meeting.topic,
            span=span(locale, view.meeting, zone, now),
            people=" ".join(everyone) or "—",
        )
    )
    if view.agenda:
        msg.lines(agenda_lines(view, locale))
    recorder = who(view, msg, view.meeting.recorder_id or view.meeting.organizer_id)
    msg.context(t(locale, "meeting.starting_hint", ref=view.ref, recorder=recorder))
    return msg


def _all_people(view: MeetingView) -> list[int]:
    ids = [view.meeting.organizer_id, view.meeting.recorder_id, *view.person_ids]
    return [i for i in dict.fromkeys(ids) if i is not None]


def minutes_message(
    view: MeetingView, locale: str, zone: ZoneInfo, now: datetime, *, again: bool = False
) -> MessageBuilder:
    """The published minutes: decisions and action items with owners and deadlines."""
    meeting, msg = view.meeting, MessageBuilder()
    key = "meeting.minutes_header_again" if again else "meeting.minutes_header"
    msg.header(t(locale, key, ref=view.ref, topic=meeting.topic))
    msg.fields(
        [
            (
                t(locale, "meeting.field.time"),
                t(locale, "meeting.time", span=span(locale, meeting, zone, now), zone=zone.key),
            ),
            *people_fields(view, msg, locale)[1:],
        ]
    )
    msg.lines(decision_lines(view, msg, locale))
    msg.lines(action_lines(view, msg, locale, zone, now))
    msg.context(t(locale, "meeting.minutes_footer"))
    return msg


def minutes_reminder(
    view: MeetingView, locale: str, zone: ZoneInfo, now: datetime
) -> MessageBuilder:
    meeting = view.meeting
    return MessageBuilder().section(
        t(
            locale,
            "meeting.minutes_reminder",
            ref=view.ref,
            topic=meeting.topic,
            start=when(locale, meeting.starts_at, zone, now),
            due=when(locale, meeting.minutes_due_at or now, zone, now),
            decisions=len(view.decisions),
            actions=len(view.actions),
        )
    )

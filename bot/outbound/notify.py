"""Proactive messages, exactly once: a notification key in the ledger plus an outbox row,
written in the caller's transaction.

Two ways a notice goes out, both once per reader and key:

- ``to_groups``: into every group bound to a project, each rendered in the group's language
  and zone; a ping (``ping=True``) waits out the group's quiet hours.
- ``to_person``: by DM, in the person's language and zone, after *their* quiet hours.

Who reads in which language and zone is ``bot.outbound.targets``' audience policy; the ledger key of
each reader is ``NoticeKey.of``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dates.clock import to_utc
from bot.outbound.targets import Audience, group_audiences, person_audience, with_accounts
from bot.settings import Settings
from bot.text.messages import Message, Target
from storage.delivery import ledger, outbox
from storage.rows import saved_id
from storage.tables import Member

Render = Callable[[str, ZoneInfo], Message]  # (locale, zone) → the message for that reader


@dataclass(frozen=True)
class NoticeKey:
    """A notice's ledger key, one per reader: ``{base}:chat:{chat id}`` for a group and
    ``{base}:dm:{member id}`` for a person.

    Issue, plan, meeting-start and escalation posts were keyed ``{base}:{chat id}`` before
    the ``chat:`` tag existed and keep that form (``tag_groups=False``): a changed key would
    post them again after an upgrade.
    """

    base: str
    tag_groups: bool = True

    def of(self, audience: Audience) -> str:
        if audience.target.is_direct:
            return f"{self.base}:dm:{audience.recipient_id}"
        tag = "chat:" if self.tag_groups else ""
        return f"{self.base}:{tag}{audience.recipient_id}"


def parse_quiet(value: str) -> tuple[time, time]:
    start, _, end = value.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(now: datetime, zone: ZoneInfo, quiet: str) -> datetime | None:
    """If ``now`` falls in the quiet hours (e.g. ``22:00-08:00``) of ``zone``, when they end."""
    start, end = parse_quiet(quiet)
    local = now.astimezone(zone)
    moment = local.time()
    inside = (start <= moment < end) if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


async def to_groups(
    session: AsyncSession,
    settings: Settings,
    *,
    project_id: int,
    key: NoticeKey,
    render: Render,
    now: datetime,
    ping: bool,
    concerns: Collection[int | None] = (),
) -> int:
    """Post into every group of the project that wants it; returns how many posts were
    queued now.

    ``ping``: the post calls people (a reminder, an alert) and waits out each group's quiet
    hours; a post tied to its moment (a meeting starting) goes at once. ``concerns``: the
    people the notice is about, for groups that take only what concerns their own people
    (``settings notify:mine``).
    """
    sent = 0
    audiences = await group_audiences(session, settings, project_id, concerns=concerns)
    for audience in audiences:
        sent += await send_to(
            session, audience, key=key.of(audience), render=render, now=now, ping=ping
        )
    return sent


async def to_person(
    session: AsyncSession,
    settings: Settings,
    *,
    member: Member,
    key: NoticeKey,
    render: Render,
    now: datetime,
) -> bool:
    """A personal DM, held until the end of the member's own quiet hours if it is night
    there. False when it was sent before, or the member has no account to write to."""
    audience = await person_audience(session, settings, member)
    if audience is None:
        return False
    return await send_to(session, audience, key=key.of(audience), render=render, now=now, ping=True)


async def send_to(
    session: AsyncSession,
    audience: Audience,
    *,
    key: str,
    render: Render,
    now: datetime,
    ping: bool,
) -> bool:
    """``render`` for one reader, queued once under ``key``."""
    held = quiet_until(now, audience.zone, audience.quiet_hours) if ping else None
    return await send_once(
        session,
        key=key,
        target=audience.target,
        message=render(audience.locale, audience.zone),
        now=now,
        not_before=held,
        locale=audience.locale,
    )


async def send_once(
    session: AsyncSession,
    *,
    key: str,
    target: Target,
    message: Message,
    now: datetime,
    not_before: datetime | None = None,
    locale: str = "en",
) -> bool:
    """Queue ``message`` unless ``key`` was used before. Returns True when queued.

    ``not_before`` delays delivery (quiet hours) without changing what is sent.
    """
    if not await ledger.claim_notification(session, key=key, now=to_utc(now)):
        return False
    message = await with_accounts(session, message, locale)
    row = outbox.enqueue(
        session,
        platform=target.platform,
        chat_external_id=target.chat_id,
        payload=message.to_json(),
        now=to_utc(not_before or now),
        is_direct=target.is_direct,
        member_id=target.member_id,
        card_key=message.card_key,
    )
    if message.attachment is not None:
        await outbox.attach_file(session, row, message.attachment.data)
    await ledger.link_notification(session, key=key, outbox_id=await saved_id(session, row))
    return True

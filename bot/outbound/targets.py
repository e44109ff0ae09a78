"""Where messages go and who reads them: project groups and personal DMs, each with the
language, time zone and quiet hours of its reader.

One audience policy, used by commands and by scheduled jobs alike (jobs have no command
context):

- a **group**: locale = the chat's ``settings locale:`` → the platform's default; zone = the
  chat's ``settings tz:`` → the workspace's; quiet hours = the chat's → the configured default.
- a **person**: locale = the member's → their DM chat's → the platform's default; zone = the
  member's → their DM chat's → their department's (regions differ) → the workspace's; quiet
  hours = their DM chat's (``settings quiet:`` typed to the bot) → the configured default.
  A person with accounts on several platforms (``member link``) is written to on the one
  they chose (``member @me prefer:slack``), else the one they wrote from last.
- **what a group receives** (``settings notify:``): ``all`` of the project's broadcasts (the
  default); ``mine``: the digest, and notices about the group's own people — those who have
  written to Concord in that group; ``digest``: the weekly digest only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from bot.text.i18n import normalize_locale, t
from bot.text.messages import Mention, Message, Target
from storage.people import links
from storage.people import queries as people
from storage.rows import id_of
from storage.tables import Chat, Department, Member


@dataclass(frozen=True)
class Audience:
    """One reader of a notice: where it goes, and how and when it is to be written for them."""

    target: Target
    recipient_id: int  # the chat's id for a group, the member's for a person
    locale: str
    zone: ZoneInfo
    quiet_hours: str
    notify: str = "all"  # a group's ``settings notify:`` (all / mine / digest)


NOTIFY_MODES = ("all", "mine", "digest")


async def project_groups(session: AsyncSession, project_id: int) -> list[tuple[Target, Chat]]:
    """Every group chat bound to the project, with its chat row (for locale and zone)."""
    return [
        (Target(c.platform, c.external_id, name=c.name), c)
        for c in await people.chats_of_project(session, project_id)
        if not c.is_direct
    ]


def group_audience(settings: Settings, chat: Chat) -> Audience:
    return Audience(
        target=Target(chat.platform, chat.external_id, name=chat.name),
        recipient_id=id_of(chat),
        locale=chat_locale(settings, chat),
        zone=chat_zone(settings, chat),
        quiet_hours=chat.quiet_hours or settings.schedule.quiet_hours,
        notify=chat.notify or "all",
    )


async def group_audiences(
    session: AsyncSession,
    settings: Settings,
    project_id: int,
    *,
    concerns: Collection[int | None] | None = None,
) -> list[Audience]:
    """The project's groups as readers of a broadcast about ``concerns`` (the people it is
    about): each group that wants it by its ``settings notify:``. ``None``: every group
    (what a group asked for itself, such as its digest)."""
    audiences = [
        group_audience(settings, chat) for _, chat in await project_groups(session, project_id)
    ]
    if concerns is None:
        return audiences
    about = {i for i in concerns if i is not None}
    choosy = {a.recipient_id for a in audiences if a.notify == "mine"}
    own = await links.people_of_chats(session, choosy) if choosy and about else {}
    return [a for a in audiences if receives(a, about, own.get(a.recipient_id, set()))]


async def takes(
    session: AsyncSession, audience: Audience, *, concerns: Collection[int | None]
) -> bool:
    """Whether one group takes a broadcast about ``concerns`` (``group_audiences`` for one)."""
    about = {i for i in concerns if i is not None}
    own: set[int] = set()
    if audience.notify == "mine" and about:
        own = (await links.people_of_chats(session, {audience.recipient_id}))[audience.recipient_id]
    return receives(audience, about, own)


def receives(audience: Audience, concerns: set[int], own_people: set[int]) -> bool:
    """Whether a group takes a broadcast about ``concerns``, given its own people."""
    if audience.notify == "digest":
        return False
    if audience.notify == "mine":
        return bool(concerns & own_people)
    return True


async def project_voice(
    session: AsyncSession, settings: Settings, project_id: int
) -> tuple[str, ZoneInfo]:
    """The project's own locale and zone (its first group's, else the workspace defaults):
    for text kept on the project, such as an escalation's reason, and the project's clock."""
    groups = await project_groups(session, project_id)
    if groups:
        return chat_locale(settings, groups[0][1]), chat_zone(settings, groups[0][1])
    return settings.platform_locale(""), ZoneInfo(settings.timezone)


async def dm_target(
    session: AsyncSession, member: Member, *, prefer: str | None = None
) -> Target | None:
    """A member's direct messages: on the platform they chose, else the one they wrote from
    last, else on ``prefer`` (where the command came from), else on any they have."""
    member_id = id_of(member)
    accounts = (await people.accounts_of(session, {member_id})).get(member_id, {})
    wanted = (member.preferred_platform, member.last_platform, prefer)
    platform = next((p for p in wanted if p in accounts), None) or next(
        iter(sorted(accounts)), None
    )
    if platform is None:
        return None
    return Target(
        platform, accounts[platform], is_direct=True, member_id=member.id, name=member.name
    )


async def person_audience(
    session: AsyncSession, settings: Settings, member: Member, *, prefer: str | None = None
) -> Audience | None:
    """The member as the reader of a DM; None when they have no account to write to."""
    target = await dm_target(session, member, prefer=prefer)
    if target is None:
        return None
    dm = await people.direct_chat(session, member_id=id_of(member), platform=target.platform)
    return Audience(
        target=target,
        recipient_id=id_of(member),
        locale=member_locale(settings, member, target.platform, dm),
        zone=await _person_zone(session, settings, member, dm),
        quiet_hours=(dm.quiet_hours if dm else None) or settings.schedule.quiet_hours,
    )


async def person_zone(session: AsyncSession, settings: Settings, member: Member) -> ZoneInfo:
    """The member's zone by the person policy (their DM chat: the one a DM would go to)."""
    audience = await person_audience(session, settings, member)
    return audience.zone if audience else await _person_zone(session, settings, member, None)


async def _person_zone(
    session: AsyncSession, settings: Settings, member: Member, dm: Chat | None
) -> ZoneInfo:
    own = member.timezone or (dm.timezone if dm else None)
    if own:
        return ZoneInfo(own)
    if member.department_id is not None:
        department = await session.get(Department, member.department_id)
        if department is not None and department.timezone:
            return ZoneInfo(department.timezone)
    return ZoneInfo(settings.timezone)


async def with_accounts(session: AsyncSession, message: Message, locale: str = "en") -> Message:
    """Give every mention its platform accounts so adapters can render real @-mentions, and
    tell apart different people of one name: ``@Wang (Slack)`` and ``@Wang (Feishu)``."""
    if not message.mentions:
        return message
    ids = {m.member_id for m in message.mentions}
    shared = await people.namesakes(session, {m.name for m in message.mentions})
    wanted = ids | {i for name in shared for i in shared[name]} if shared else ids
    accounts = await people.accounts_of(session, wanted)
    mentions = tuple(
        Mention(
            m.member_id,
            distinct_name(m, shared.get(m.name, ()), accounts, locale),
            m.accounts or accounts.get(m.member_id, {}),
        )
        for m in message.mentions
    )
    return replace(message, mentions=mentions)


def distinct_name(
    mention: Mention,
    namesakes: Sequence[int],
    accounts: Mapping[int, Mapping[str, str]],
    locale: str,
) -> str:
    """The mention's name, with where the person is when someone else has that name too:
    their platforms (``Wang (Slack)``), and the account where even that is shared."""
    if mention.member_id not in namesakes:
        return mention.name
    mine = accounts.get(mention.member_id, {})
    where = [t(locale, f"platform.{p}") for p in sorted(mine)]
    others = [sorted(accounts.get(i, {})) for i in namesakes if i != mention.member_id]
    if sorted(mine) in others:
        where = [f"{t(locale, f'platform.{p}')}: {mine[p]}" for p in sorted(mine)]
    return f"{mention.name} ({', '.join(where)})" if where else mention.name


def chat_locale(settings: Settings, chat: Chat) -> str:
    return normalize_locale(chat.locale) or settings.platform_locale(chat.platform)


def member_locale(settings: Settings, member: Member, platform: str, dm: Chat | None = None) -> str:
    return (
        normalize_locale(member.locale)
        or normalize_locale(dm.locale if dm else None)
        or settings.platform_locale(platform)
    )


def chat_zone(settings: Settings, chat: Chat) -> ZoneInfo:
    return ZoneInfo(chat.timezone or settings.timezone)


async def project_zone(session: AsyncSession, settings: Settings, project_id: int) -> ZoneInfo:
    """The project's time zone: its (first) group's, else the workspace's."""
    groups = await project_groups(session, project_id)
    return chat_zone(settings, groups[0][1]) if groups else ZoneInfo(settings.timezone)

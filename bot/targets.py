"""Where messages go and in which language/time zone: project groups and personal DMs.

Used by commands and by scheduled jobs alike (jobs have no command context).
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import normalize_locale
from bot.messages import Mention, Message, Target
from bot.settings import Settings
from storage import people
from storage.tables import Chat, Member


async def project_groups(session: AsyncSession, project_id: int) -> list[tuple[Target, Chat]]:
    """Every group chat bound to the project, with its chat row (for locale and zone)."""
    return [
        (Target(c.platform, c.external_id, name=c.name), c)
        for c in await people.chats_of_project(session, project_id)
        if not c.is_direct
    ]


async def dm_target(
    session: AsyncSession, member: Member, *, prefer: str | None = None
) -> Target | None:
    """A member's direct messages: on ``prefer`` if they have an account there, else any."""
    assert member.id is not None
    accounts = (await people.accounts_of(session, {member.id})).get(member.id, {})
    platform = prefer if prefer in accounts else next(iter(sorted(accounts)), None)
    if platform is None:
        return None
    return Target(
        platform, accounts[platform], is_direct=True, member_id=member.id, name=member.name
    )


async def with_accounts(session: AsyncSession, message: Message) -> Message:
    """Give every mention its platform accounts so adapters can render real @-mentions."""
    ids = {m.member_id for m in message.mentions if not m.accounts}
    if not ids:
        return message
    accounts = await people.accounts_of(session, ids)
    mentions = tuple(
        m if m.accounts else Mention(m.member_id, m.name, accounts.get(m.member_id, {}))
        for m in message.mentions
    )
    return replace(message, mentions=mentions)


def chat_locale(settings: Settings, chat: Chat) -> str:
    return normalize_locale(chat.locale) or settings.platform_locale(chat.platform)


def member_locale(settings: Settings, member: Member, platform: str) -> str:
    return normalize_locale(member.locale) or settings.platform_locale(platform)


def chat_zone(settings: Settings, chat: Chat) -> ZoneInfo:
    return ZoneInfo(chat.timezone or settings.timezone)


def member_zone(settings: Settings, member: Member) -> ZoneInfo:
    return ZoneInfo(member.timezone or settings.timezone)

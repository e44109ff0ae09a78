"""Members' names and time zones from a platform's user directory, refreshed at most daily.

An adapter asks which accounts are stale (never seen, or not refreshed for ``max_age``),
fetches those from its platform outside any transaction, and hands the results back. The
first sight of an account creates the member; later refreshes keep name and zone current.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.dates.clock import to_aware_utc
from storage.db import SessionFactory, transaction
from storage.people import queries as people

DAILY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Profile:
    """What a platform's directory says about an account."""

    name: str | None = None
    timezone: str | None = None  # IANA name, e.g. "America/Los_Angeles"


async def last_refreshed(
    sessions: SessionFactory, *, platform: str, accounts: Iterable[str]
) -> dict[str, datetime | None]:
    """When each account's profile was last refreshed (None: never, or no member yet)."""
    seen: dict[str, datetime | None] = {}
    async with transaction(sessions) as session:
        for account in dict.fromkeys(accounts):
            member = await people.member_by_account(session, platform=platform, external_id=account)
            refreshed = member.profile_refreshed_at if member else None
            seen[account] = to_aware_utc(refreshed) if refreshed else None
    return seen


def is_fresh(refreshed: datetime | None, now: datetime, max_age: timedelta = DAILY) -> bool:
    return refreshed is not None and now - refreshed < max_age


async def apply_profiles(
    sessions: SessionFactory, *, platform: str, profiles: Mapping[str, Profile], now: datetime
) -> None:
    """Create or update the member behind each account from its fetched profile.

    A person linked across platforms (``member link``) keeps one name and zone: each
    platform's profile updates only that account's display name (and fills a zone that is
    not set), or the two directories would rename the person back and forth every day."""
    async with transaction(sessions) as session:
        for account, profile in profiles.items():
            member, _ = await people.ensure_member(
                session, platform=platform, external_id=account, name=profile.name, now=now
            )
            linked = await people.is_linked(session, member)
            if profile.name:
                await people.rename_account(
                    session, platform=platform, external_id=account, name=profile.name
                )
                if not linked:
                    member.name = profile.name
            if valid_zone(profile.timezone) and not (linked and member.timezone):
                member.timezone = profile.timezone
            member.profile_refreshed_at = now
            session.add(member)


def valid_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class ProfileStore:
    """What an adapter's people directory may read and write (adapters never see storage)."""

    sessions: SessionFactory

    async def last_refreshed(
        self, *, platform: str, accounts: Iterable[str]
    ) -> dict[str, datetime | None]:
        return await last_refreshed(self.sessions, platform=platform, accounts=accounts)

    async def apply(self, *, platform: str, profiles: Mapping[str, Profile], now: datetime) -> None:
        await apply_profiles(self.sessions, platform=platform, profiles=profiles, now=now)

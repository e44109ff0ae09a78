"""Who a Slack user is: ``users.info`` name and time zone, at most once a day per user.

The database keeps the profile (``Member.profile_refreshed_at``), so a restart does not
re-fetch everyone; this process also remembers whom it checked so busy users cost no
query at all. A failed lookup never blocks a command: the member then keeps the name
Slack sent with the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.outbound import PLATFORM
from bot.dates.clock import Clock, to_utc
from bot.inbound.profiles import Profile, ProfileStore, is_fresh

logger = logging.getLogger("concord.slack")


class Directory:
    """``bot.inbound.inbox.PeopleDirectory`` for Slack: the inbox worker calls ``refresh`` before an
    event runs, outside its transaction."""

    def __init__(self, client: AsyncWebClient, profiles: ProfileStore, clock: Clock) -> None:
        self.client = client
        self.profiles = profiles
        self.clock = clock
        self._checked: dict[str, datetime] = {}
        self._names: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def known(self) -> dict[str, str]:
        """The names this process has looked up (no network: used while acknowledging)."""
        return dict(self._names)

    async def refresh(self, accounts: Iterable[str]) -> dict[str, str]:
        """Make sure each account is a member with a current profile; return known names."""
        # One refresh at a time: two first messages of a new user must not both create them.
        async with self._lock:
            await self._refresh(list(dict.fromkeys(accounts)))
        return dict(self._names)

    async def _refresh(self, accounts: list[str]) -> None:
        now = to_utc(self.clock.now())
        wanted = [a for a in accounts if not is_fresh(self._checked.get(a), now)]
        if wanted:
            stored = await self.profiles.last_refreshed(platform=PLATFORM, accounts=wanted)
            fresh = {a: at for a, at in stored.items() if at is not None and is_fresh(at, now)}
            self._checked.update(fresh)
            stale = [a for a in wanted if a not in fresh]
            fetched = {a: p for a in stale if (p := await self.fetch(a)) is not None}
            await self.profiles.apply(platform=PLATFORM, profiles=fetched, now=now)
            self._checked.update(dict.fromkeys(fetched, now))

    async def fetch(self, account: str) -> Profile | None:
        try:
            response = await self.client.users_info(user=account)
        except SlackApiError as error:
            logger.warning("users.info %s failed: %s", account, error.response.get("error"))
            return None
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.warning("users.info %s failed: %r", account, error)
            return None
        profile = profile_of(response.get("user") or {})
        if profile.name:
            self._names[account] = profile.name
        return profile


def profile_of(user: dict[str, object]) -> Profile:
    """The display name people know (display name, else real name, else handle) and tz."""
    details = user.get("profile")
    details = details if isinstance(details, dict) else {}
    name = details.get("display_name") or details.get("real_name") or user.get("real_name")
    name = name or user.get("name")
    zone = user.get("tz")
    return Profile(
        name=str(name) if name else None, timezone=str(zone) if isinstance(zone, str) else None
    )

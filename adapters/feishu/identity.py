"""Who a Feishu user is: the contact API's name and time zone, at most once a day per user.

The database keeps the profile (``Member.profile_refreshed_at``), so a restart does not
re-fetch everyone; this process also remembers whom it checked so busy users cost no
query at all. The contact API needs a contact read scope and the user inside the app's
range; without them the lookup fails and the member keeps the name Feishu sent with the
message (mentions carry names) and the chat's time zone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from lark_oapi.api.contact.v3 import GetUserRequest

from adapters.feishu.outbound import PLATFORM
from adapters.feishu.platform import FeishuPlatform
from bot.dates.clock import Clock, to_utc
from bot.inbound.profiles import Profile, ProfileStore, is_fresh
from bot.outbound.platform import PlatformError

logger = logging.getLogger("concord.feishu")


class Directory:
    def __init__(self, platform: FeishuPlatform, profiles: ProfileStore, clock: Clock) -> None:
        self.platform = platform
        self.profiles = profiles
        self.clock = clock
        self._checked: dict[str, datetime] = {}
        self._names: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def learn(self, names: Mapping[str, str]) -> None:
        """Names Feishu sent along (mentions): used until the contact API says better."""
        for account, name in names.items():
            self._names.setdefault(account, name)

    async def refresh(self, accounts: Iterable[str]) -> dict[str, str]:
        """Make sure each account is a member with a current profile; return known names."""
        # One refresh at a time: two first messages of a new user must not both create them.
        async with self._lock:
            await self._refresh(list(dict.fromkeys(accounts)))
        return dict(self._names)

    async def _refresh(self, accounts: list[str]) -> None:
        now = to_utc(self.clock.now())
        wanted = [a for a in accounts if not is_fresh(self._checked.get(a), now)]
        if not wanted:
            return
        stored = await self.profiles.last_refreshed(platform=PLATFORM, accounts=wanted)
        fresh = {a: at for a, at in stored.items() if at is not None and is_fresh(at, now)}
        self._checked.update(fresh)
        fetched = {a: await self.fetch(a) for a in wanted if a not in fresh}
        await self.profiles.apply(platform=PLATFORM, profiles=fetched, now=now)
        self._checked.update(dict.fromkeys(fetched, now))

    async def fetch(self, account: str) -> Profile:
        """The contact API's profile, else what the messages told us (a name, no zone)."""
        request = GetUserRequest.builder().user_id(account).user_id_type("open_id").build()
        try:
            data = await self.platform.call(
                lambda option: self.platform.client.contact.v3.user.aget(request, option)
            )
        except PlatformError as error:
            logger.warning("contact lookup of %s failed: %s", account, error)
            return Profile(name=self._names.get(account))
        profile = profile_of(data.get("user") or {})
        if profile.name:
            self._names[account] = profile.name
        return Profile(name=profile.name or self._names.get(account), timezone=profile.timezone)


def profile_of(user: Mapping[str, Any]) -> Profile:
    name = user.get("name") or user.get("nickname") or user.get("en_name")
    zone = user.get("time_zone")
    return Profile(
        name=str(name) if name else None, timezone=zone if isinstance(zone, str) and zone else None
    )

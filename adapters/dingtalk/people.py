"""Who a DingTalk user is: the nick they speak with.

DingTalk sends the speaker's ``senderNick`` with every robot message and has no time zone
to tell, so the directory needs no API call: intake remembers the nick each account last
spoke with, and before their event runs (``bot.inbound.inbox.PeopleDirectory.refresh``) a nick that
changed becomes the member's name — also for someone first known from an @-mention. The
zone stays the group's unless the member sets one. A replica that did not take the message
itself has heard nothing and leaves the name as the event carries it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from adapters.dingtalk.outbound import PLATFORM
from bot.dates.clock import Clock, to_utc
from bot.inbound.profiles import Profile, ProfileStore


class Nicks:
    def __init__(self, profiles: ProfileStore, clock: Clock) -> None:
        self.profiles = profiles
        self.clock = clock
        self._heard: dict[str, str] = {}
        self._applied: dict[str, str] = {}

    def heard(self, account: str, nick: str | None) -> None:
        if nick:
            self._heard[account] = nick

    async def refresh(self, accounts: Iterable[str]) -> Mapping[str, str]:
        known = {a: self._heard[a] for a in dict.fromkeys(accounts) if a in self._heard}
        changed = {a: nick for a, nick in known.items() if self._applied.get(a) != nick}
        if changed:
            profiles = {a: Profile(name=nick) for a, nick in changed.items()}
            now = to_utc(self.clock.now())
            await self.profiles.apply(platform=PLATFORM, profiles=profiles, now=now)
            self._applied.update(changed)
        return known

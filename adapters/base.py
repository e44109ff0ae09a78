"""The adapter interface: what a platform package provides, and what it is given.

An adapter only translates. Inbound, it turns platform requests into neutral events
(``bot.text.messages.IncomingMessage`` / ``ActionEvent``) and hands them to ``Host.inbox``
*before* it acknowledges the platform; outbound, its ``Platform`` delivers the neutral
messages the outbox gives it. Its settings section is parsed in its own package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.dates.clock import Clock
from bot.inbound.inbox import Inbox, PeopleDirectory
from bot.inbound.profiles import ProfileStore
from bot.outbound.platform import Platform
from bot.settings import Settings


@dataclass
class Host:
    """What the composition root gives an adapter."""

    inbox: Inbox
    web: web.Application  # the shared HTTP server: an adapter adds its routes in ``create``
    settings: Settings
    clock: Clock
    profiles: ProfileStore


class Adapter(Protocol):
    name: str  # also the platform's name in the store ("slack", "feishu" …)
    platform: Platform
    people: PeopleDirectory | None  # looked up before an event of this platform runs

    async def start(self) -> None:
        """Open sockets / long connections (HTTP routes were mounted by ``create``)."""
        ...

    async def stop(self) -> None:
        """Stop intake; called first on a graceful stop, before the workers finish."""
        ...


SettingsLoader = Callable[[Mapping[str, Any], Mapping[str, str]], Any]


@dataclass(frozen=True)
class AdapterSpec:
    """One registered adapter. ``create`` (``"package.module:function"``) is imported only
    when the adapter is enabled, so a disabled platform's SDK is never loaded."""

    name: str  # also the config section, ``[name]``
    load_settings: SettingsLoader  # raw table + environment → the adapter's settings
    create: str  # create(host, settings) -> Adapter

    def factory(self) -> Callable[[Host, Any], Adapter]:
        import importlib

        module, _, function = self.create.partition(":")
        built: Callable[[Host, Any], Adapter] = getattr(importlib.import_module(module), function)
        return built

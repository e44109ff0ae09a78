"""``[dingtalk]`` settings: the enterprise-internal app, its transport and the card template.

Every key can also be set as ``CONCORD_DINGTALK_<KEY>`` (the environment wins). This module
imports no HTTP or WebSocket library, so the adapter registry can read the settings of a
disabled adapter without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from bot.errors import ConfigError
from bot.settings import Settings, adapter_section, fill_section
from bot.text.i18n import normalize_locale

NAME = "dingtalk"
MODES = ("stream", "http")


@dataclass
class DingTalkSettings:
    enabled: bool = False
    client_id: str = ""  # the app's AppKey (Client ID); also its robot's robotCode by default
    client_secret: str = ""  # AppSecret: signs HTTP robot callbacks and fetches tokens
    robot_code: str = ""  # empty: the client_id (true for an internal app's own robot)
    mode: str = "stream"  # "stream" (no public URL needed) | "http"
    api_base_url: str = "https://api.dingtalk.com"
    oapi_base_url: str = "https://oapi.dingtalk.com"
    approval_card_template_id: str = ""  # empty: approvals as markdown + text commands
    card_callback_secret: str = ""  # apiSecret of the HTTP card callback route (http mode)
    locale: str = "zh-CN"

    @property
    def robot(self) -> str:
        return self.robot_code or self.client_id

    @property
    def cards_enabled(self) -> bool:
        return bool(self.approval_card_template_id)


def load(table: Mapping[str, Any], env: Mapping[str, str]) -> DingTalkSettings:
    """The raw ``[dingtalk]`` table and the environment → checked settings."""
    settings = DingTalkSettings()
    fill_section(settings, table, env, "DINGTALK_")
    validate(settings)
    return settings


def of(settings: Settings) -> DingTalkSettings:
    """The ``[dingtalk]`` section of ``settings`` (defaults when the file has none)."""
    return adapter_section(settings, NAME, DingTalkSettings)


def validate(settings: DingTalkSettings) -> None:
    """Say which key is wrong or missing; an enabled adapter must be able to start."""
    for field in fields(settings):
        value = getattr(settings, field.name)
        if isinstance(value, str):
            setattr(settings, field.name, value.strip())
    locale = normalize_locale(settings.locale)
    if locale is None:
        raise ConfigError(
            f"Config key 'dingtalk.locale' must be en or zh-CN, not {settings.locale!r}"
        )
    settings.locale = locale
    if settings.mode not in MODES:
        raise ConfigError(
            f'Config key \'dingtalk.mode\' must be "stream" or "http", not {settings.mode!r}'
        )
    for name in ("api_base_url", "oapi_base_url"):
        url = getattr(settings, name)
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"Config key 'dingtalk.{name}' must be an http(s) URL, not {url!r}")
        setattr(settings, name, url.rstrip("/"))
    if not settings.enabled:
        return
    for name in ("client_id", "client_secret"):
        if not getattr(settings, name):
            raise ConfigError(f"Config key 'dingtalk.{name}' is missing")
    if settings.mode == "http" and settings.cards_enabled and not settings.card_callback_secret:
        raise ConfigError(
            "Config key 'dingtalk.card_callback_secret' is missing "
            "(HTTP mode with an approval card template needs the card callback's apiSecret)"
        )

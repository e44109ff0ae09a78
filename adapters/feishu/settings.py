"""``[feishu]``: the custom app's credentials, the transport and the API domain.

Every key can also be set as ``CONCORD_FEISHU_<KEY>``. This module must not import the
SDK (the adapter registry imports it whether or not Feishu is enabled), so the domain is
checked here with the same rule lark-oapi applies: an origin, https, or http on loopback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.settings import Settings, adapter_section, fill_section
from bot.text.i18n import normalize_locale

NAME = "feishu"
FEISHU_DOMAIN = "https://open.feishu.cn"
LARK_DOMAIN = "https://open.larksuite.com"
MODES = ("webhook", "long_connection")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class FeishuSettings:
    enabled: bool = False
    app_id: str = ""
    app_secret: str = ""
    verification_token: str = ""
    encrypt_key: str = ""
    mode: str = "webhook"
    domain: str = FEISHU_DOMAIN
    locale: str = "zh-CN"


def load(table: Mapping[str, Any], env: Mapping[str, str]) -> FeishuSettings:
    """The raw ``[feishu]`` table and the environment → checked settings."""
    settings = FeishuSettings()
    fill_section(settings, table, env, "FEISHU_")
    validate(settings)
    return settings


def of(settings: Settings) -> FeishuSettings:
    """The ``[feishu]`` section of ``settings`` (defaults when the file has none)."""
    return adapter_section(settings, NAME, FeishuSettings)


def validate(settings: FeishuSettings) -> None:
    locale = normalize_locale(settings.locale)
    if locale is None:
        raise ConfigError(
            f"Config key 'feishu.locale' must be en or zh-CN, not {settings.locale!r}"
        )
    settings.locale = locale
    if settings.mode not in MODES:
        raise ConfigError(
            f'Config key \'feishu.mode\' must be "webhook" or "long_connection", '
            f"not {settings.mode!r}"
        )
    settings.domain = settings.domain.rstrip("/")
    problem = domain_problem(settings.domain)
    if problem:
        raise ConfigError(f"Config key 'feishu.domain' {problem}, not {settings.domain!r}")
    if not settings.enabled:
        return
    if not settings.app_id:
        raise ConfigError("Config key 'feishu.app_id' (the cli_… App ID) is missing")
    if not settings.app_secret:
        raise ConfigError("Config key 'feishu.app_secret' is missing")
    if settings.mode == "webhook" and not settings.verification_token:
        # Without it anyone who finds the URL could post events as any user.
        raise ConfigError(
            "Config key 'feishu.verification_token' is missing (needed in webhook mode)"
        )


def domain_problem(domain: str) -> str | None:
    """Why ``domain`` is not an API origin lark-oapi accepts (None when it is)."""
    parts = urlsplit(domain)
    if parts.scheme == "http" and (parts.hostname or "").lower() not in LOOPBACK:
        return "must use https (http only for 127.0.0.1 / localhost)"
    if parts.scheme not in ("http", "https"):
        return "must be an https URL such as https://open.feishu.cn"
    if not parts.netloc or "@" in parts.netloc:
        return "must name a host, without credentials"
    if parts.path or parts.query or parts.fragment:
        return "must be an origin (scheme and host, no path)"
    return None

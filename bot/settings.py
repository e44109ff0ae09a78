"""Typed settings, read once from a TOML file and the environment, then passed down.

Every key can also be set as ``CONCORD_<SECTION>_<KEY>`` (top-level keys: ``CONCORD_<KEY>``),
e.g. ``CONCORD_DATABASE_URL`` or ``CONCORD_SLACK_BOT_TOKEN``. The environment wins.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.i18n import normalize_locale

PLATFORM_LOCALES = {"console": "en", "slack": "en", "feishu": "zh-CN", "dingtalk": "zh-CN"}


@dataclass
class ScheduleSettings:
    digest_weekday: int = 4  # Friday
    digest_time: str = "15:00"
    quiet_hours: str = "22:00-08:00"
    due_soon_days: int = 1
    overdue_grace_days: int = 1
    tick_seconds: int = 60


@dataclass
class RequestSettings:
    budget_threshold: float = 5000.0
    step_working_days: int = 2
    resource_managers: dict[str, str] = field(default_factory=dict)  # department → member name


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass
class ConsoleSettings:
    user: str = "me"
    chat: str = "console"


@dataclass
class SlackSettings:
    """``[slack]``: tokens, transport and the slash command (see adapters/slack/README.md)."""

    enabled: bool = False
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    mode: str = "http"
    command: str = "/concord"
    api_base_url: str = "https://slack.com/api/"
    locale: str = "en"


@dataclass
class Settings:
    database_url: str = "sqlite+aiosqlite:///concord.db"
    timezone: str = "Asia/Shanghai"
    calendar: str = "CN"
    auto_migrate: bool = True
    exports_dir: str = "exports"  # where `report csv` writes retrospective files
    locales: dict[str, str] = field(default_factory=lambda: dict(PLATFORM_LOCALES))
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    requests: RequestSettings = field(default_factory=RequestSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)

    def platform_locale(self, platform: str) -> str:
        return self.locales.get(platform, "en")


def _coerce(name: str, value: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, dict):
            if not isinstance(value, Mapping):
                raise TypeError("expected a table")
            return {str(k): str(v) for k, v in value.items()}
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Config key {name!r} has an invalid value {value!r}: {exc}") from exc


def _fill(target: Any, data: Mapping[str, Any], env: Mapping[str, str], prefix: str) -> None:
    known = {f.name for f in dataclasses.fields(target)}
    unknown = set(data) - known
    if unknown:
        where = prefix.strip("_").lower() or "top level"
        raise ConfigError(f"Unknown config key(s) in [{where}]: {', '.join(sorted(unknown))}")
    for f in dataclasses.fields(target):
        current = getattr(target, f.name)
        env_name = f"CONCORD_{prefix}{f.name.upper()}"
        if dataclasses.is_dataclass(current):
            section = data.get(f.name, {})
            if not isinstance(section, Mapping):
                raise ConfigError(f"Config key {f.name!r} must be a table ([{f.name}])")
            _fill(current, section, env, f"{prefix}{f.name.upper()}_")
        elif env_name in env and not isinstance(current, dict):
            setattr(target, f.name, _coerce(env_name, env[env_name], current))
        elif f.name in data:
            value = _coerce(f.name, data[f.name], current)
            if isinstance(current, dict):
                value = {**current, **value}
            setattr(target, f.name, value)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (if given) and the environment into ``Settings``; raise ``ConfigError``."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    if path is None and env.get("CONCORD_CONFIG"):
        path = Path(env["CONCORD_CONFIG"])
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"Config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from exc
    settings = Settings()
    _fill(settings, data, env, "")
    _slack_locale(settings, data, env)
    validate(settings)
    return settings


def _slack_locale(settings: Settings, data: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """``[slack] locale`` is another spelling of ``[locales] slack`` (and the only one the
    environment can set: ``CONCORD_SLACK_LOCALE``)."""
    in_file = data.get("slack", {}).get("locale")
    listed = data.get("locales", {}).get("slack")
    if "CONCORD_SLACK_LOCALE" not in env and in_file is None:
        return
    if "CONCORD_SLACK_LOCALE" not in env and listed is not None and listed != in_file:
        raise ConfigError(
            f"Config keys 'slack.locale' ({in_file!r}) and 'locales.slack' ({listed!r}) disagree"
        )
    settings.locales["slack"] = settings.slack.locale


def validate(settings: Settings) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"Config key 'timezone' names an unknown time zone: {settings.timezone!r}"
        ) from exc
    if settings.slack.mode not in ("http", "socket"):
        raise ConfigError('Config key \'slack.mode\' must be "http" or "socket"')
    _validate_slack(settings.slack)
    for platform, locale in settings.locales.items():
        normalized = normalize_locale(locale)
        if normalized is None:
            raise ConfigError(
                f"Config key 'locales.{platform}' must be en or zh-CN, not {locale!r}"
            )
        settings.locales[platform] = normalized  # "zh", "中文" … → "zh-CN"


def _validate_slack(slack: SlackSettings) -> None:
    """An enabled Slack adapter must be able to start; say which key is missing."""
    if not slack.enabled:
        return
    if not slack.bot_token:
        raise ConfigError("Config key 'slack.bot_token' (the xoxb- bot token) is missing")
    if slack.mode == "http" and not slack.signing_secret:
        raise ConfigError("Config key 'slack.signing_secret' is missing (needed in HTTP mode)")
    if slack.mode == "socket" and not slack.app_token.startswith("xapp-"):
        raise ConfigError(
            "Config key 'slack.app_token' must be an app-level token (xapp-…) in socket mode"
        )
    if not slack.command.startswith("/") or " " in slack.command:
        raise ConfigError(
            f"Config key 'slack.command' must look like /concord, not {slack.command!r}"
        )

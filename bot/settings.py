"""Typed settings, read once from a TOML file and the environment, then passed down.

Every key can also be set as ``CONCORD_<SECTION>_<KEY>`` (top-level keys: ``CONCORD_<KEY>``),
e.g. ``CONCORD_DATABASE_URL`` or ``CONCORD_SLACK_BOT_TOKEN``. The environment wins.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.text.i18n import normalize_locale

PLATFORM_LOCALES = {"console": "en", "slack": "en", "feishu": "zh-CN", "dingtalk": "zh-CN"}


@dataclass
class ScheduleSettings:
    digest_weekday: int = 4  # Friday
    digest_time: str = "15:00"
    quiet_hours: str = "22:00-08:00"
    due_soon_days: int = 1
    overdue_grace_days: int = 1
    reminder_time: str = "09:00"  # local time of task reminders in the project group
    daily_time: str = "09:00"  # opt-in daily DM, in the member's zone
    catch_up_days: int = 14  # how far back a restarted bot looks for reminders it missed
    tick_seconds: int = 60


@dataclass
class RateLimit:
    """One platform's sending limits, as token buckets (a rate and a burst); 0 = no limit.

    ``chat_*`` limits one chat and is kept in the database, so every replica shares it;
    ``app_*`` limits the whole app per process: with N replicas, give each 1/N of it.
    """

    chat_per_second: float = 1.0
    chat_burst: int = 3
    app_per_second: float = 5.0
    app_burst: int = 10


@dataclass
class DeliverySettings:
    """The outbox worker: pacing, retries and when to give up (values from platforms.md)."""

    interval_seconds: float = 1.0  # how often an idle worker looks for due messages
    base_backoff_seconds: float = 2.0  # first retry after a 5xx/timeout; doubles per attempt
    max_backoff_seconds: float = 300.0
    max_retry_after_seconds: float = 3600.0  # a longer Retry-After is capped to this
    give_up_after_minutes: int = 360  # a message failing this long is marked failed
    chats_per_pass: int = 50
    # Slack chat.postMessage: ~1 msg/s per channel, short bursts allowed, plus a workspace-wide
    # limit ("several hundred per minute"; the exact figure is unpublished).
    slack: RateLimit = field(default_factory=lambda: RateLimit(1.0, 3, 5.0, 10))
    # Feishu im/v1/messages: 5 QPS per group (shared by all bots), 1000/min and 50/s per app.
    feishu: RateLimit = field(default_factory=lambda: RateLimit(5.0, 5, 1000 / 60, 50))
    # DingTalk: 20 QPS per app per API; robots 20 messages/min per group (then a 10 min ban):
    # a burst of 5 plus 15 a minute never exceeds 20 in any minute.
    dingtalk: RateLimit = field(default_factory=lambda: RateLimit(0.25, 5, 20.0, 20))
    console: RateLimit = field(default_factory=lambda: RateLimit(0.0, 0, 0.0, 0))

    def limits(self, platform: str) -> RateLimit:
        limit = getattr(self, platform, None)
        return limit if isinstance(limit, RateLimit) else RateLimit()


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
class InboxSettings:
    """``[inbox]``: the durable inbound port (stored events and the workers that run them)."""

    workers: int = 4  # chats run side by side per process (PostgreSQL; SQLite runs one)
    grace_seconds: float = 10.0  # on SIGTERM, how long events being run may take to finish
    store_timeout_seconds: float = 2.0  # a slower store is answered "try again" (acks stay < 3 s)
    retry_seconds: float = 5.0  # a chat whose event hit a database outage waits this long
    poll_seconds: float = 1.0  # how often idle workers look for events stored by other replicas
    lookup_timeout_seconds: float = 3.0  # people-directory lookups before an event runs
    answer_hold_seconds: float = 5.0  # an answer given inside the request is held back this long
    intake_priority_seconds: float = 0.2  # commands wait at most this for acks in progress
    keep_days: int = 7  # how long handled events are remembered to refuse platform retries


@dataclass
class Settings:
    database_url: str = "sqlite+aiosqlite:///concord.db"
    timezone: str = "Asia/Shanghai"
    calendar: str = "CN"
    auto_migrate: bool = True
    exports_dir: str = "exports"  # where `report csv` writes retrospective files
    locales: dict[str, str] = field(default_factory=lambda: dict(PLATFORM_LOCALES))
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    requests: RequestSettings = field(default_factory=RequestSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    # Each platform adapter's own section ([slack], [feishu] …), parsed by the adapter package.
    adapters: dict[str, Any] = field(default_factory=dict)

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


def fill_section(target: Any, data: Mapping[str, Any], env: Mapping[str, str], prefix: str) -> None:
    """Set ``target``'s fields from a TOML table and ``CONCORD_<PREFIX><KEY>`` variables
    (the environment wins); raise ``ConfigError`` naming an unknown key or a bad value."""
    known = {f.name for f in dataclasses.fields(target)}
    unknown = set(data) - known
    if unknown:
        where = prefix.strip("_").lower().replace("_", ".") or "top level"
        raise ConfigError(f"Unknown config key(s) in [{where}]: {', '.join(sorted(unknown))}")
    for f in dataclasses.fields(target):
        current = getattr(target, f.name)
        env_name = f"CONCORD_{prefix}{f.name.upper()}"
        if dataclasses.is_dataclass(current):
            section = data.get(f.name, {})
            if not isinstance(section, Mapping):
                raise ConfigError(f"Config key {f.name!r} must be a table ([{f.name}])")
            fill_section(current, section, env, f"{prefix}{f.name.upper()}_")
        elif env_name in env and not isinstance(current, dict):
            setattr(target, f.name, _coerce(env_name, env[env_name], current))
        elif f.name in data:
            value = _coerce(f.name, data[f.name], current)
            if isinstance(current, dict):
                value = {**current, **value}
            setattr(target, f.name, value)


SectionLoader = Callable[[Mapping[str, Any], Mapping[str, str]], Any]
S = TypeVar("S")


def adapter_section(settings: Settings, name: str, kind: type[S]) -> S:
    """An adapter's own section of ``settings`` (its defaults when the file has none)."""
    section = settings.adapters.setdefault(name, kind())
    if not isinstance(section, kind):
        raise TypeError(f"[{name}] holds {type(section).__name__}, not {kind.__name__}")
    return section


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    sections: Mapping[str, SectionLoader] | None = None,
) -> Settings:
    """Read ``path`` (if given) and the environment into ``Settings``; raise ``ConfigError``.

    ``sections`` are the adapters' own tables (``[slack]`` …): each loader turns its raw
    table and the environment into that adapter's settings, kept in ``Settings.adapters``."""
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
    loaders = sections or {}
    core = {key: value for key, value in data.items() if key not in loaders}
    settings = Settings()
    fill_section(settings, core, env, "")
    for name, load in loaders.items():
        table = data.get(name, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"Config key {name!r} must be a table ([{name}])")
        settings.adapters[name] = load(table, env)
        _adapter_locale(settings, name, settings.adapters[name], data, env)
    validate(settings)
    return settings


def _adapter_locale(
    settings: Settings, name: str, section: Any, data: Mapping[str, Any], env: Mapping[str, str]
) -> None:
    """``[slack] locale`` is another spelling of ``[locales] slack`` (and the only one the
    environment can set: ``CONCORD_SLACK_LOCALE``)."""
    in_file = data.get(name, {}).get("locale")
    listed = data.get("locales", {}).get(name)
    env_name = f"CONCORD_{name.upper()}_LOCALE"
    if env_name not in env and in_file is None:
        return
    if env_name not in env and listed is not None and listed != in_file:
        raise ConfigError(
            f"Config keys '{name}.locale' ({in_file!r}) and 'locales.{name}' ({listed!r}) disagree"
        )
    settings.locales[name] = str(getattr(section, "locale", in_file))


def validate(settings: Settings) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"Config key 'timezone' names an unknown time zone: {settings.timezone!r}"
        ) from exc
    for platform, locale in settings.locales.items():
        normalized = normalize_locale(locale)
        if normalized is None:
            raise ConfigError(
                f"Config key 'locales.{platform}' must be en or zh-CN, not {locale!r}"
            )
        settings.locales[platform] = normalized  # "zh", "中文" … → "zh-CN"
    _validate_schedule(settings.schedule)
    _validate_inbox(settings.inbox)


def _validate_schedule(schedule: ScheduleSettings) -> None:
    for name in ("digest_time", "reminder_time", "daily_time"):
        value = getattr(schedule, name)
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ConfigError(f"Config key 'schedule.{name}' must be HH:MM, not {value!r}")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", schedule.quiet_hours):
        raise ConfigError(
            f"Config key 'schedule.quiet_hours' must be HH:MM-HH:MM, not {schedule.quiet_hours!r}"
        )
    if not 0 <= schedule.digest_weekday <= 6:
        raise ConfigError("Config key 'schedule.digest_weekday' must be 0 (Monday) … 6 (Sunday)")


def _validate_inbox(inbox: InboxSettings) -> None:
    if inbox.workers < 1:
        raise ConfigError("Config key 'inbox.workers' must be at least 1")
    for name in ("grace_seconds", "store_timeout_seconds", "poll_seconds", "answer_hold_seconds"):
        if getattr(inbox, name) <= 0:
            raise ConfigError(f"Config key 'inbox.{name}' must be positive")

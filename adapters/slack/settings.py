"""``[slack]``: tokens, transport and the slash command (every key also
``CONCORD_SLACK_<KEY>``). Validated here, so a wrong key stops ``concord serve`` at start-up
with a message naming it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import ConfigError
from bot.settings import Settings, adapter_section, fill_section

NAME = "slack"


@dataclass
class SlackSettings:
    enabled: bool = False
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    mode: str = "http"
    command: str = "/concord"
    api_base_url: str = "https://slack.com/api/"
    locale: str = "en"


def load(table: Mapping[str, Any], env: Mapping[str, str]) -> SlackSettings:
    settings = SlackSettings()
    fill_section(settings, table, env, "SLACK_")
    validate(settings)
    return settings


def of(settings: Settings) -> SlackSettings:
    """The ``[slack]`` section of ``settings`` (defaults when the file has none)."""
    return adapter_section(settings, NAME, SlackSettings)


def validate(slack: SlackSettings) -> None:
    if slack.mode not in ("http", "socket"):
        raise ConfigError('Config key \'slack.mode\' must be "http" or "socket"')
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

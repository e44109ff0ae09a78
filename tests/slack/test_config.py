"""``[slack]`` configuration: TOML, ``CONCORD_SLACK_<KEY>`` overrides, start-up checks, and
which adapters ``concord serve`` mounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import registry
from adapters.slack import adapter as slack
from adapters.slack import settings as slack_config
from bot.errors import ConfigError
from bot.main import load_settings
from bot.settings import Settings

TOML = """
[slack]
enabled = true
bot_token = "xoxb-from-file"
signing_secret = "file-secret"
command = "/concord"
locale = "zh-CN"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "concord.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "CONCORD_SLACK_BOT_TOKEN": "xoxb-from-env",
        "CONCORD_SLACK_MODE": "socket",
        "CONCORD_SLACK_APP_TOKEN": "xapp-1-env",
        "CONCORD_SLACK_COMMAND": "/cc",
        "CONCORD_SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",
    }
    settings = load_settings(write(tmp_path, TOML), env)
    slack_settings = slack_config.of(settings)
    assert slack_settings.enabled
    assert (slack_settings.bot_token, slack_settings.mode) == ("xoxb-from-env", "socket")
    assert (slack_settings.command, slack_settings.app_token) == ("/cc", "xapp-1-env")
    assert slack_settings.api_base_url == "http://127.0.0.1:9/api/"
    assert slack_settings.signing_secret == "file-secret"
    assert settings.platform_locale("slack") == "zh-CN"


def test_everything_can_come_from_the_environment() -> None:
    env = {
        "CONCORD_SLACK_ENABLED": "1",
        "CONCORD_SLACK_BOT_TOKEN": "xoxb-1",
        "CONCORD_SLACK_SIGNING_SECRET": "s",
        "CONCORD_SLACK_LOCALE": "zh",
    }
    settings = load_settings(None, env)
    assert slack_config.of(settings).enabled
    assert slack_config.of(settings).api_base_url == "https://slack.com/api/"
    assert settings.platform_locale("slack") == "zh-CN"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CONCORD_SLACK_BOT_TOKEN": ""}, "slack.bot_token"),
        ({"CONCORD_SLACK_SIGNING_SECRET": ""}, "slack.signing_secret"),
        ({"CONCORD_SLACK_MODE": "socket", "CONCORD_SLACK_APP_TOKEN": "xoxb-1"}, "slack.app_token"),
        ({"CONCORD_SLACK_COMMAND": "concord"}, "slack.command"),
        ({"CONCORD_SLACK_MODE": "webhook"}, "slack.mode"),
        ({"CONCORD_SLACK_LOCALE": "fr"}, "locales.slack"),
    ],
)
def test_an_enabled_slack_that_cannot_start_is_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(write(tmp_path, TOML), env)


def test_a_disabled_slack_needs_no_tokens() -> None:
    settings = load_settings(None, {})
    assert not slack_config.of(settings).enabled


def test_slack_is_one_entry_of_the_registry_loaded_only_when_enabled() -> None:
    spec = registry.find("slack")
    assert spec is not None
    assert spec.factory() is slack.create
    assert [s.name for s in registry.ADAPTERS].count("slack") == 1


def test_the_manifest_declares_what_the_adapter_uses() -> None:
    manifest = (Path(slack.__file__).parent / "manifest.yml").read_text(encoding="utf-8")
    lines = [line.split("#")[0].strip() for line in manifest.splitlines()]
    assert f"- command: {slack_config.of(Settings()).command}" in lines
    urls = [line for line in lines if line.startswith(("url:", "request_url:"))]
    assert len(urls) == 3
    assert all(url.endswith(slack.EVENTS_PATH) for url in urls)
    for entry in ("app_mention", "message.im", "should_escape: true", "is_enabled: true"):
        assert entry in lines or f"- {entry}" in lines
    scopes = {line[2:] for line in lines if line.startswith("- ") and " " not in line[2:]}
    needed = {"app_mentions:read", "chat:write", "commands", "im:history", "im:write", "users:read"}
    needed.add("files:write")  # the retrospective files (files.getUploadURLExternal …)
    assert needed <= scopes


def test_the_two_spellings_of_slacks_language_must_agree(tmp_path: Path) -> None:
    both = TOML + '\n[locales]\nslack = "en"\n'
    with pytest.raises(ConfigError, match="disagree"):
        load_settings(write(tmp_path, both), {})
    settings = load_settings(write(tmp_path, both), {"CONCORD_SLACK_LOCALE": "en"})
    assert settings.platform_locale("slack") == "en"  # the environment wins


def test_the_example_config_loads(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example, {})
    assert settings.platform_locale("slack") == "en"
    assert not slack_config.of(settings).enabled

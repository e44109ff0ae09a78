"""``[dingtalk]``: defaults, the environment, errors that name the key, the example config
and the registry entry that ``concord serve`` mounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import registry
from adapters.dingtalk import adapter as dingtalk
from adapters.dingtalk import settings as dingtalk_config
from adapters.dingtalk.settings import load
from bot.errors import ConfigError
from bot.main import load_settings

ENABLED = {"enabled": True, "client_id": "ding-app", "client_secret": "s"}


def test_defaults() -> None:
    settings = load({}, {})
    assert (settings.enabled, settings.mode, settings.locale) == (False, "stream", "zh-CN")
    assert settings.api_base_url == "https://api.dingtalk.com"
    assert settings.oapi_base_url == "https://oapi.dingtalk.com"
    assert not settings.cards_enabled


def test_the_environment_wins_and_the_robot_defaults_to_the_app() -> None:
    env = {
        "CONCORD_DINGTALK_MODE": "http",
        "CONCORD_DINGTALK_ENABLED": "true",
        "CONCORD_DINGTALK_API_BASE_URL": "http://127.0.0.1:9/",
        "CONCORD_DINGTALK_LOCALE": "en",
    }
    settings = load({**ENABLED, "mode": "stream"}, env)
    assert (settings.mode, settings.enabled, settings.locale) == ("http", True, "en")
    assert settings.api_base_url == "http://127.0.0.1:9"
    assert settings.robot == "ding-app"
    assert load({**ENABLED, "robot_code": "dingrobot"}, {}).robot == "dingrobot"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"enabled": True, "client_secret": "s"}, "'dingtalk.client_id' is missing"),
        ({"enabled": True, "client_id": "a"}, "'dingtalk.client_secret' is missing"),
        ({"mode": "webhook"}, "'dingtalk.mode' must be"),
        ({"locale": "fr"}, "'dingtalk.locale' must be"),
        ({"api_base_url": "api.dingtalk.com"}, "'dingtalk.api_base_url' must be"),
        ({"enabled": True, "client_id": " ", "client_secret": "s"}, "'dingtalk.client_id'"),
        ({"app_key": "x"}, "Unknown config key(s) in [dingtalk]: app_key"),
        (
            {**ENABLED, "mode": "http", "approval_card_template_id": "t.schema"},
            "'dingtalk.card_callback_secret' is missing",
        ),
    ],
)
def test_errors_name_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(table, {})
    assert message in str(error.value)


TOML = """
[dingtalk]
enabled = true
client_id = "ding-from-file"
client_secret = "file-secret"
mode = "http"
"""


def test_the_section_and_the_environment_through_the_settings_loader(tmp_path: Path) -> None:
    path = tmp_path / "concord.toml"
    path.write_text(TOML, encoding="utf-8")
    env = {"CONCORD_DINGTALK_CLIENT_SECRET": "env-secret", "CONCORD_DINGTALK_LOCALE": "en"}
    settings = load_settings(path, env)
    section = dingtalk_config.of(settings)
    assert (section.enabled, section.client_id, section.mode) == (True, "ding-from-file", "http")
    assert section.client_secret == "env-secret"
    assert settings.platform_locale("dingtalk") == "en"


def test_the_example_config_loads_with_dingtalk_off_and_chinese() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example, {})
    section = dingtalk_config.of(settings)
    assert not section.enabled
    assert (section.mode, section.api_base_url) == ("stream", "https://api.dingtalk.com")
    assert settings.platform_locale("dingtalk") == "zh-CN"
    text = example.read_text(encoding="utf-8")
    for key in (
        "enabled",
        "client_id",
        "client_secret",
        "robot_code",
        "mode",
        "api_base_url",
        "oapi_base_url",
        "approval_card_template_id",
        "card_callback_secret",
        "locale",
    ):
        assert f"\n{key} = " in text.split("[dingtalk]")[1]


def test_dingtalk_is_one_entry_of_the_registry_loaded_only_when_enabled() -> None:
    spec = registry.find("dingtalk")
    assert spec is not None
    assert spec.factory() is dingtalk.create
    assert [s.name for s in registry.ADAPTERS].count("dingtalk") == 1
    assert dingtalk.EVENTS_PATH == "/dingtalk/events"
    assert dingtalk.CARDS_PATH == "/dingtalk/cards"

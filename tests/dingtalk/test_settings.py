"""``[dingtalk]``: defaults, the environment, and errors that name the key."""

from __future__ import annotations

import pytest

from adapters.dingtalk.settings import load_settings
from bot.errors import ConfigError

ENABLED = {"enabled": True, "client_id": "ding-app", "client_secret": "s"}


def test_defaults() -> None:
    settings = load_settings({}, {})
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
    settings = load_settings({**ENABLED, "mode": "stream"}, env)
    assert (settings.mode, settings.enabled, settings.locale) == ("http", True, "en")
    assert settings.api_base_url == "http://127.0.0.1:9"
    assert settings.robot == "ding-app"
    assert load_settings({**ENABLED, "robot_code": "dingrobot"}, {}).robot == "dingrobot"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"enabled": True, "client_secret": "s"}, "'dingtalk.client_id' is missing"),
        ({"enabled": True, "client_id": "a"}, "'dingtalk.client_secret' is missing"),
        ({"mode": "webhook"}, "'dingtalk.mode' must be"),
        ({"locale": "fr"}, "'dingtalk.locale' must be"),
        ({"api_base_url": "api.dingtalk.com"}, "'dingtalk.api_base_url' must be"),
        ({"enabled": "maybe"}, "'dingtalk.enabled' must be true or false"),
        ({"client_id": 5}, "'dingtalk.client_id' must be a string"),
        ({"app_key": "x"}, "Unknown config key(s) in [dingtalk]: app_key"),
        (
            {**ENABLED, "mode": "http", "approval_card_template_id": "t.schema"},
            "'dingtalk.card_callback_secret' is missing",
        ),
    ],
)
def test_errors_name_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(table, {})
    assert message in str(error.value)

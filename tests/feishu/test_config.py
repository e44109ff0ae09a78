"""``[feishu]`` configuration: defaults, ``CONCORD_FEISHU_<KEY>`` overrides, start-up checks."""

from __future__ import annotations

import pytest

from adapters.feishu.settings import FeishuSettings, load_settings
from bot.errors import ConfigError

TABLE = {
    "enabled": True,
    "app_id": "cli_from_file",
    "app_secret": "file-secret",
    "verification_token": "file-token",
}


def test_defaults_are_feishu_in_chinese_over_webhook() -> None:
    settings = load_settings({}, {})
    assert settings == FeishuSettings()
    assert (settings.mode, settings.domain, settings.locale) == (
        "webhook",
        "https://open.feishu.cn",
        "zh-CN",
    )
    assert not settings.enabled


def test_the_environment_overrides_the_file() -> None:
    env = {
        "CONCORD_FEISHU_APP_SECRET": "env-secret",
        "CONCORD_FEISHU_MODE": "long_connection",
        "CONCORD_FEISHU_DOMAIN": "https://open.larksuite.com/",
        "CONCORD_FEISHU_LOCALE": "en",
        "CONCORD_FEISHU_ENCRYPT_KEY": "k",
    }
    settings = load_settings(TABLE, env)
    assert (settings.app_id, settings.app_secret) == ("cli_from_file", "env-secret")
    assert (settings.mode, settings.domain) == ("long_connection", "https://open.larksuite.com")
    assert (settings.locale, settings.encrypt_key) == ("en", "k")


def test_everything_can_come_from_the_environment() -> None:
    env = {
        "CONCORD_FEISHU_ENABLED": "1",
        "CONCORD_FEISHU_APP_ID": "cli_x",
        "CONCORD_FEISHU_APP_SECRET": "s",
        "CONCORD_FEISHU_VERIFICATION_TOKEN": "t",
        "CONCORD_FEISHU_LOCALE": "中文",
    }
    settings = load_settings({}, env)
    assert settings.enabled and settings.app_id == "cli_x" and settings.locale == "zh-CN"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"app_id": ""}, "feishu.app_id"),
        ({"app_secret": ""}, "feishu.app_secret"),
        ({"verification_token": ""}, "feishu.verification_token"),
        ({"mode": "socket"}, "feishu.mode"),
        ({"locale": "fr"}, "feishu.locale"),
        ({"domain": "http://open.feishu.cn"}, "feishu.domain"),
        ({"domain": "https://open.feishu.cn/open-apis"}, "feishu.domain"),
        ({"domain": "ftp://x"}, "feishu.domain"),
        ({"domain": "https://u:p@open.feishu.cn"}, "feishu.domain"),
    ],
)
def test_a_missing_or_wrong_key_is_named(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings({**TABLE, **change}, {})


def test_long_connection_needs_no_verification_token_and_loopback_http_is_allowed() -> None:
    table = {**TABLE, "verification_token": "", "mode": "long_connection"}
    settings = load_settings({**table, "domain": "http://127.0.0.1:8123"}, {})
    assert settings.domain == "http://127.0.0.1:8123"


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match="app_key"):
        load_settings({**TABLE, "app_key": "x"}, {})

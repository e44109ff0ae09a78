"""``[feishu]`` configuration: defaults, ``CONCORD_FEISHU_<KEY>`` overrides, start-up checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import registry
from adapters.feishu import adapter as feishu
from adapters.feishu import settings as feishu_config
from adapters.feishu.settings import FeishuSettings, load
from bot.errors import ConfigError
from bot.main import load_settings

TABLE = {
    "enabled": True,
    "app_id": "cli_from_file",
    "app_secret": "file-secret",
    "verification_token": "file-token",
}


def test_defaults_are_feishu_in_chinese_over_webhook() -> None:
    settings = load({}, {})
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
    settings = load(TABLE, env)
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
    settings = load({}, env)
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
        load({**TABLE, **change}, {})


def test_long_connection_needs_no_verification_token_and_loopback_http_is_allowed() -> None:
    table = {**TABLE, "verification_token": "", "mode": "long_connection"}
    settings = load({**table, "domain": "http://127.0.0.1:8123"}, {})
    assert settings.domain == "http://127.0.0.1:8123"


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match="app_key"):
        load({**TABLE, "app_key": "x"}, {})


TOML = """
[feishu]
enabled = true
app_id = "cli_from_file"
app_secret = "file-secret"
verification_token = "file-token"
mode = "webhook"
domain = "https://open.larksuite.com"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "concord.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_section_is_read_by_concords_loader_with_environment_overrides(
    tmp_path: Path,
) -> None:
    env = {"CONCORD_FEISHU_APP_SECRET": "env-secret", "CONCORD_FEISHU_ENCRYPT_KEY": "k"}
    settings = load_settings(write(tmp_path, TOML), env)
    section = feishu_config.of(settings)
    assert section.enabled and section.app_id == "cli_from_file"
    assert (section.app_secret, section.encrypt_key) == ("env-secret", "k")
    assert section.domain == "https://open.larksuite.com"
    assert settings.platform_locale("feishu") == "zh-CN"


def test_concord_refuses_to_start_naming_the_missing_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"feishu\.app_secret"):
        load_settings(write(tmp_path, TOML), {"CONCORD_FEISHU_APP_SECRET": ""})
    with pytest.raises(ConfigError, match=r"feishu\.mode"):
        load_settings(write(tmp_path, TOML), {"CONCORD_FEISHU_MODE": "websocket"})


def test_the_language_follows_the_section_or_the_environment(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, TOML + 'locale = "en"\n'), {})
    assert settings.platform_locale("feishu") == "en"
    settings = load_settings(write(tmp_path, TOML), {"CONCORD_FEISHU_LOCALE": "en"})
    assert settings.platform_locale("feishu") == "en"


def test_the_example_config_loads_with_feishu_disabled_and_in_chinese() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example, {})
    section = feishu_config.of(settings)
    assert not section.enabled
    assert (section.mode, section.domain) == ("webhook", "https://open.feishu.cn")
    assert settings.platform_locale("feishu") == "zh-CN"
    section_text = example.read_text(encoding="utf-8").split("\n[feishu]\n")[1].split("\n[")[0]
    example_keys = {
        line.split("=")[0].strip()
        for line in section_text.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert example_keys == set(FeishuSettings.__dataclass_fields__)


def test_feishu_is_one_entry_of_the_registry_loaded_only_when_enabled() -> None:
    spec = registry.find("feishu")
    assert spec is not None
    assert spec.load_settings is feishu_config.load
    assert spec.factory() is feishu.create
    assert [s.name for s in registry.ADAPTERS].count("feishu") == 1

"""The ``[delivery]`` and ``[schedule]`` settings: platform limits from TOML and environment,
and clear errors for malformed times."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.main import load_settings
from bot.settings import RateLimit


def test_defaults_follow_the_platform_limits() -> None:
    delivery = load_settings(None, environ={}).delivery
    assert delivery.limits("slack") == RateLimit(1.0, 3, 5.0, 10)
    assert delivery.limits("feishu").chat_per_second == 5.0
    dingtalk = delivery.limits("dingtalk")
    assert dingtalk.chat_burst + 60 * dingtalk.chat_per_second <= 20  # 20 per minute at most
    assert delivery.limits("console") == RateLimit(0.0, 0, 0.0, 0)
    assert delivery.limits("unknown") == RateLimit()


def test_limits_from_the_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "concord.toml"
    config.write_text(
        "[delivery]\ngive_up_after_minutes = 30\n[delivery.feishu]\napp_per_second = 8\n",
        encoding="utf-8",
    )
    env = {"CONCORD_DELIVERY_SLACK_CHAT_PER_SECOND": "2.5"}
    delivery = load_settings(config, environ=env).delivery
    assert delivery.give_up_after_minutes == 30
    assert delivery.feishu.app_per_second == 8.0
    assert delivery.slack.chat_per_second == 2.5


def test_the_shipped_example_config_loads() -> None:
    example = Path(__file__).parents[2] / "config.example.toml"
    settings = load_settings(example, environ={})
    assert settings.schedule.catch_up_days == 14
    assert settings.delivery.dingtalk.app_burst == 20


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reminder_time", '"9am"', "schedule.reminder_time' must be HH:MM"),
        ("quiet_hours", '"22-8"', "schedule.quiet_hours' must be HH:MM-HH:MM"),
        ("digest_weekday", "7", "digest_weekday' must be 0 (Monday)"),
    ],
)
def test_malformed_schedule_values_are_refused(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    config = tmp_path / "concord.toml"
    config.write_text(f"[schedule]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(config, environ={})

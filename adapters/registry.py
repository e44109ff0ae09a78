"""Every platform adapter Concord knows: one explicit list. Enabling one is config only
(``[name] enabled = true``)."""

from __future__ import annotations

from adapters.base import AdapterSpec
from adapters.dingtalk import settings as dingtalk_settings
from adapters.feishu import settings as feishu_settings
from adapters.slack import settings as slack_settings
from bot.settings import SectionLoader

ADAPTERS: tuple[AdapterSpec, ...] = (
    AdapterSpec("slack", slack_settings.load, "adapters.slack.adapter:create"),
    AdapterSpec("feishu", feishu_settings.load, "adapters.feishu.adapter:create"),
    AdapterSpec("dingtalk", dingtalk_settings.load, "adapters.dingtalk.adapter:create"),
)


def settings_loaders() -> dict[str, SectionLoader]:
    return {spec.name: spec.load_settings for spec in ADAPTERS}


def find(name: str) -> AdapterSpec | None:
    return next((spec for spec in ADAPTERS if spec.name == name), None)

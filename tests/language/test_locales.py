"""Both catalogs carry the same messages, and every usage line a command names exists."""

from __future__ import annotations

import re

import jinja2
import pytest

import commands
from bot.inbound.dispatch import usage_key
from bot.text.i18n import LOCALES, catalog


def test_catalogs_have_the_same_keys() -> None:
    en, zh = set(catalog("en")), set(catalog("zh-CN"))
    assert sorted(en - zh) == [] and sorted(zh - en) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_parses_and_uses_the_same_parameters(locale: str) -> None:
    env = jinja2.Environment()
    for key, source in catalog(locale).items():
        env.parse(source)
        other = catalog("en" if locale != "en" else "zh-CN")[key]
        names = set(re.findall(r"{{\s*(\w+)", source))
        assert names == set(re.findall(r"{{\s*(\w+)", other)), key


@pytest.mark.parametrize("locale", LOCALES)
def test_every_family_has_help_and_usage(locale: str) -> None:
    texts = catalog(locale)
    for family in commands.all_families():
        assert f"help.{family.name}" in texts, family.name
        verbs = [family.default, family.item_default, *family.verbs, *family.item_verbs]
        for verb in verbs:
            if verb is not None:
                assert usage_key(verb.usage) in texts, (family.name, verb.usage)

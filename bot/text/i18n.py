"""Locale catalogs: every user-visible word comes from ``bot/text/locales/<locale>/*.toml``.

Each TOML file holds tables of Jinja2 template strings; keys are addressed with dots
(``[error] bad_date = "…"`` → ``error.bad_date``). Rendering uses ``StrictUndefined`` so a
missing parameter fails loudly in tests instead of printing an empty hole to users.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

LOCALES: tuple[str, ...] = ("en", "zh-CN")
DEFAULT_LOCALE = "en"
_LOCALE_DIR = Path(__file__).parent / "locales"


def normalize_locale(value: str | None) -> str | None:
    """Map user spellings (``zh``, ``zh_cn``, ``中文``, ``EN``) to a supported locale."""
    if not value:
        return None
    folded = value.strip().replace("_", "-").lower()
    aliases = {
        "en": "en",
        "en-us": "en",
        "en-gb": "en",
        "english": "en",
        "英文": "en",
        "zh": "zh-CN",
        "zh-cn": "zh-CN",
        "zh-hans": "zh-CN",
        "cn": "zh-CN",
        "中文": "zh-CN",
        "chinese": "zh-CN",
    }
    return aliases.get(folded)


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@cache
def catalog(locale: str) -> dict[str, str]:
    """All message templates of one locale, keyed by dotted name."""
    out: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / locale).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten("", tomllib.load(handle), out)
    return out


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    return env


_PLACEHOLDER = re.compile(r"\{\{ ?([A-Za-z_]\w*) ?\}\}")


class _Plain:
    """A template that only substitutes ``{{ name }}``: rendered without Jinja's per-call
    context set-up (digests render tens of thousands of lines), with the same result."""

    def __init__(self, source: str) -> None:
        self._parts = _PLACEHOLDER.split(source)  # text, name, text, name, …, text

    @staticmethod
    def accepts(source: str) -> bool:
        rest = _PLACEHOLDER.sub("", source)
        return not any(mark in rest for mark in ("{{", "{%", "{#", "}}"))

    def render(self, **params: Any) -> str:
        parts = self._parts
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            name = parts[i]
            if name not in params:
                raise jinja2.UndefinedError(f"{name!r} is undefined")
            out.append(str(params[name]))
            out.append(parts[i + 1])
        return "".join(out)


@cache
def _template(locale: str, key: str) -> jinja2.Template | _Plain:
    source = catalog(locale).get(key)
    if source is None:
        source = catalog(DEFAULT_LOCALE).get(key)
    if source is None:
        raise KeyError(f"no message {key!r} in locale {locale!r}")
    if _Plain.accepts(source):
        return _Plain(source)
    return _environment().from_string(source)


def t(locale: str, key: str, /, **params: Any) -> str:
    """Render message ``key`` in ``locale`` with ``params``."""
    return _template(locale, key).render(**params).strip()


def has(locale: str, key: str) -> bool:
    return key in catalog(locale) or key in catalog(DEFAULT_LOCALE)


class Translator:
    """``t`` bound to one locale, handed to commands and renderers."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, /, **params: Any) -> str:
        return t(self.locale, key, **params)

    def has(self, key: str) -> bool:
        return has(self.locale, key)

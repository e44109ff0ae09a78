"""Long forms as Slack modals: ``issue report`` and ``request new`` with no arguments.

A modal is only a friendlier way to type a command: its fields are the command's options
(docs/commands.md), and submitting it builds that command line — quoted values,
``key:value`` options — which then runs like any other command from that user in the chat
the modal was opened from (kept in ``private_metadata``). Pure functions; no network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.text.i18n import has, t

CALLBACK_PREFIX = "concord.form."
INPUT_ACTION = "value"
TITLE_LIMIT = 24  # Slack's limit for a modal's title and buttons
JSON = dict[str, Any]
FieldKind = Literal["text", "long", "select", "date", "number"]
_PLAIN_VALUE = re.compile(r"^[\w.+\-/]+$")
_QUOTES = (('"', '"'), ("“", "”"), ("「", "」"), ("'", "'"), ("『", "』"))


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # block id; the command option of the same name
    kind: FieldKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    initial: str | None = None


@dataclass(frozen=True, slots=True)
class Form:
    name: str  # "issue" / "request"
    command: str  # the command words the submission starts with
    positional: tuple[str, ...]  # fields written before the options, in order
    fields: tuple[Field, ...]

    @property
    def callback_id(self) -> str:
        return CALLBACK_PREFIX + self.name


ISSUE = Form(
    name="issue",
    command="issue report",
    positional=("title",),
    fields=(
        Field("title", required=True),
        Field("urgency", "select", choices=("high", "medium", "low"), initial="medium"),
        Field("depts"),
        Field("category"),
        Field("desc", "long"),
    ),
)
REQUEST = Form(
    name="request",
    command="request new",
    positional=("type", "what"),
    fields=(
        Field("type", "select", required=True, choices=("people", "material", "budget")),
        Field("what", required=True),
        Field("amount", "number"),
        Field("currency", initial="CNY"),
        Field("from", "date", required=True),
        Field("to", "date", required=True),
        Field("purpose", required=True),
        Field("return", required=True),
        Field("dept"),
    ),
)
FORMS = {form.name: form for form in (ISSUE, REQUEST)}
# The exact inputs that open a form instead of answering with a usage error.
TRIGGERS: dict[tuple[str, str], tuple[Form, str]] = {
    ("issue", "report"): (ISSUE, "en"),
    ("问题", "上报"): (ISSUE, "zh-CN"),
    ("request", "new"): (REQUEST, "en"),
    ("申请", "新建"): (REQUEST, "zh-CN"),
}


def form_for(text: str) -> tuple[Form, str] | None:
    """The form (and the language it was asked in) when ``text`` is a bare form command."""
    words = tuple(text.strip().lstrip("/／").lower().split())
    return TRIGGERS.get(words) if len(words) == 2 else None


def build_view(form: Form, locale: str, *, channel: str, is_direct: bool = False) -> JSON:
    """The ``views.open`` payload of ``form``."""
    metadata = {"channel": channel, "direct": is_direct, "locale": locale}
    return {
        "type": "modal",
        "callback_id": form.callback_id,
        "private_metadata": json.dumps(metadata),
        "title": _plain(t(locale, f"slack.form.{form.name}.heading"), TITLE_LIMIT),
        "submit": _plain(t(locale, f"slack.form.{form.name}.submit"), TITLE_LIMIT),
        "close": _plain(t(locale, "slack.form.cancel"), TITLE_LIMIT),
        "blocks": [_input(form, field, locale) for field in form.fields],
    }


def _input(form: Form, field: Field, locale: str) -> JSON:
    block: JSON = {
        "type": "input",
        "block_id": field.key,
        "optional": not field.required,
        "label": _plain(t(locale, f"slack.form.{form.name}.label.{field.key}"), 2000),
        "element": _element(form, field, locale),
    }
    hint_key = f"slack.form.{form.name}.hint.{field.key}"
    if has(locale, hint_key):
        block["hint"] = _plain(t(locale, hint_key), 2000)
    return block


def _element(form: Form, field: Field, locale: str) -> JSON:
    element: JSON = {"action_id": INPUT_ACTION}
    if field.kind == "select":
        options = [_option(t(locale, f"slack.form.choice.{c}"), c) for c in field.choices]
        element.update(type="static_select", options=options)
        if field.initial:
            element["initial_option"] = next(o for o in options if o["value"] == field.initial)
    elif field.kind == "date":
        element["type"] = "datepicker"
    elif field.kind == "number":
        element.update(type="number_input", is_decimal_allowed=True, min_value="0")
    else:
        element.update(type="plain_text_input", multiline=field.kind == "long")
        if field.initial:
            element["initial_value"] = field.initial
    return element


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def validate(form: Form, values: Mapping[str, str], locale: str) -> dict[str, str]:
    """Errors shown next to the fields (``response_action: errors``); empty when fine."""
    start, end = _day(values.get("from")), _day(values.get("to"))
    if form is REQUEST and start and end and end < start:
        return {"to": t(locale, "slack.form.request.window_order")}
    return {}


def command_line(form: Form, values: Mapping[str, str]) -> str:
    """The command a submitted form stands for, e.g. ``issue report "Login fails" urgency:high``."""
    given = {key: value.strip() for key, value in values.items() if value and value.strip()}
    if form is REQUEST and "amount" not in given:
        given.pop("currency", None)  # a currency means nothing without an amount
    words = [form.command]
    for field in form.fields:
        value = given.get(field.key)
        if value is None:
            continue
        if field.key in form.positional:
            words.append(value if field.kind == "select" else quote(value))
        else:
            words.append(f"{field.key}:{value if _PLAIN_VALUE.match(value) else quote(value)}")
    return " ".join(words)


def quote(value: str) -> str:
    """Quote with the first quote pair whose closing mark the value does not contain."""
    for opening, closing in _QUOTES:
        if closing not in value:
            return f"{opening}{value}{closing}"
    return '"' + value.replace('"', "'") + '"'


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _plain(text: str, limit: int) -> JSON:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text}


def _option(label: str, value: str) -> JSON:
    return {"text": _plain(label, 75), "value": value}

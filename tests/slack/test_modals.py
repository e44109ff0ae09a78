"""Modals for the long forms: the bare commands open a modal (views.open), a submission
runs the equivalent command line from that user in that channel."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.slack import modals
from bot.inbound.context import Context
from bot.text.i18n import catalog
from commands.framework import Args, Family, Verb
from commands.parsing.tokens import tokenize
from storage.tables import Department, Issue, IssueDepartment
from tests.slack.card_desk import use_families
from tests.slack.conftest import SlackRig

JSON = dict[str, Any]


def text_input(value: str) -> JSON:
    return {"type": "plain_text_input", "value": value}


def select(value: str) -> JSON:
    return {"type": "static_select", "selected_option": {"value": value}}


def date(value: str) -> JSON:
    return {"type": "datepicker", "selected_date": value}


def submission(view: JSON, values: dict[str, JSON], *, user: str = "U111") -> JSON:
    """A view_submission payload for ``view`` (as opened) with the fields filled in."""
    state = {
        block["block_id"]: {modals.INPUT_ACTION: values.get(block["block_id"], {"type": "x"})}
        for block in view["blocks"]
    }
    return {
        "type": "view_submission",
        "team": {"id": "T111", "domain": "workspace"},
        "user": {"id": user, "username": "alice", "name": "alice", "team_id": "T111"},
        "api_app_id": "A111",
        "trigger_id": "222.333.xxx",
        "view": {**view, "id": "V123", "hash": "1.abc", "state": {"values": state}},
    }


class IssueDesk:
    """Stands in for the issue family: records how the submitted line was parsed."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, str, dict[str, str]]] = []

    def family(self) -> Family:
        options = frozenset({"urgency", "depts", "category", "desc"})
        return Family(
            name="issue",
            words=("issue", "问题"),
            usage="help",
            verbs=(Verb(("report", "上报"), self.report, "help", options),),
        )

    async def report(self, ctx: Context, args: Args) -> None:
        options = {key: args.option(key) or "" for key in args.options}
        self.reports.append((ctx.chat.external_id, args.text(), options))
        ctx.reply(ctx.message().section(f"Reported by {ctx.actor.name}: {args.text()}"))


# --- pure: detection, the view, the command line ---


@pytest.mark.parametrize(
    ("text", "form", "locale"),
    [
        ("issue report", "issue", "en"),
        ("  /Issue  Report ", "issue", "en"),
        ("问题 上报", "issue", "zh-CN"),
        ("request new", "request", "en"),
        ("申请 新建", "request", "zh-CN"),
    ],
)
def test_bare_form_commands_open_a_form(text: str, form: str, locale: str) -> None:
    found = modals.form_for(text)
    assert found is not None
    assert (found[0].name, found[1]) == (form, locale)


@pytest.mark.parametrize("text", ['issue report "Login fails"', "issue", "request", "task add"])
def test_other_commands_do_not(text: str) -> None:
    assert modals.form_for(text) is None


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_request_view_has_the_domain_fields(locale: str) -> None:
    view = modals.build_view(modals.REQUEST, locale, channel="C111")
    assert view["callback_id"] == "concord.form.request"
    assert json.loads(view["private_metadata"]) == {
        "channel": "C111",
        "direct": False,
        "locale": locale,
    }
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == [
        "type",
        "what",
        "amount",
        "currency",
        "from",
        "to",
        "purpose",
        "return",
        "dept",
    ]
    assert [o["value"] for o in blocks["type"]["element"]["options"]] == [
        "people",
        "material",
        "budget",
    ]
    assert blocks["from"]["element"]["type"] == "datepicker"
    assert blocks["purpose"]["optional"] is False
    assert blocks["dept"]["optional"] is True
    assert all(len(view[k]["text"]) <= 24 for k in ("title", "submit", "close"))
    label = catalog(locale)["slack.form.request.label.purpose"]
    assert blocks["purpose"]["label"]["text"] == label


def test_the_issue_view_in_chinese() -> None:
    view = modals.build_view(modals.ISSUE, "zh-CN", channel="C111")
    assert view["title"]["text"] == "上报问题"
    urgency = next(b for b in view["blocks"] if b["block_id"] == "urgency")
    assert [o["text"]["text"] for o in urgency["element"]["options"]] == ["高", "中", "低"]
    assert urgency["element"]["initial_option"]["value"] == "medium"


def test_an_issue_form_becomes_the_documented_command_line() -> None:
    line = modals.command_line(
        modals.ISSUE,
        {
            "title": 'Login fails with "500"',
            "urgency": "high",
            "depts": "研发部, 运维部",
            "category": "login",
            "desc": "Since 09:00\nall users",
        },
    )
    assert line == (
        'issue report “Login fails with "500"” urgency:high depts:"研发部, 运维部" '
        'category:login desc:"Since 09:00\nall users"'
    )
    tokens = tokenize(line)
    assert [t.text for t in tokens if t.kind == "quoted"] == ['Login fails with "500"']
    options = {t.key: t.text for t in tokens if t.kind == "option"}
    assert options == {
        "urgency": "high",
        "depts": "研发部, 运维部",
        "category": "login",
        "desc": "Since 09:00\nall users",
    }


def test_a_request_form_becomes_the_documented_command_line() -> None:
    values = {
        "type": "budget",
        "what": "Ad budget",
        "amount": "5000",
        "currency": "CNY",
        "from": "2026-12-01",
        "to": "2026-12-05",
        "purpose": "618大促活动支持",
        "return": "invoice INV-7",
        "dept": "",
    }
    assert modals.command_line(modals.REQUEST, values) == (
        'request new budget "Ad budget" amount:5000 currency:CNY from:2026-12-01 to:2026-12-05 '
        'purpose:618大促活动支持 return:"invoice INV-7"'
    )
    without_amount = {**values, "type": "people", "amount": ""}
    assert "currency" not in modals.command_line(modals.REQUEST, without_amount)


def test_quotes_pick_a_mark_the_value_does_not_contain() -> None:
    assert modals.quote("plain") == '"plain"'
    assert modals.quote('say "hi"') == '“say "hi"”'
    assert modals.quote('"a” b」') == "'\"a” b」'"
    assert tokenize(modals.quote("\"a” b」 'c' 『d』"))[0].kind == "quoted"


def test_a_window_that_ends_before_it_starts_is_refused_in_the_form() -> None:
    errors = modals.validate(modals.REQUEST, {"from": "2026-12-05", "to": "2026-12-01"}, "zh-CN")
    assert errors == {"to": "结束日期早于开始日期。"}
    assert modals.validate(modals.REQUEST, {"from": "2026-12-01", "to": "2026-12-01"}, "en") == {}


# --- end to end through the real server ---


async def test_bare_issue_report_opens_the_modal_instead_of_an_error(rig: SlackRig) -> None:
    body = rig.command_body("issue report")
    status, _ = await rig.post(body, "application/x-www-form-urlencoded")
    await rig.settle()
    assert status == 200
    [opened] = rig.fake.named("views.open")
    assert opened.body["trigger_id"] in body
    assert opened.body["view"]["callback_id"] == "concord.form.issue"
    assert opened.body["view"]["title"]["text"] == "Report an issue"
    assert [c.method for c in rig.fake.calls if c.method.startswith("chat.")] == []


async def test_the_chinese_form_opens_in_chinese(rig: SlackRig) -> None:
    await rig.command("申请 新建")
    [opened] = rig.fake.named("views.open")
    assert opened.body["view"]["title"]["text"] == "资源申请"


async def test_an_issue_form_submission_runs_the_command_in_the_channel(rig: SlackRig) -> None:
    desk = IssueDesk()
    use_families(rig.app, desk.family())
    await rig.command("issue report", channel="C777")
    view = rig.fake.named("views.open")[0].body["view"]

    payload = submission(
        view,
        {
            "title": text_input("Login fails"),
            "urgency": select("high"),
            "desc": text_input("x > y"),
        },
    )
    status, body = await rig.interact(payload)

    assert (status, body) == (200, "")
    assert desk.reports == [("C777", "Login fails", {"urgency": "high", "desc": "x > y"})]
    [reply] = rig.fake.named("chat.postMessage")
    assert reply.body["channel"] == "C777"
    assert reply.body["blocks"][0]["text"]["text"] == "Reported by Alice Wang: Login fails"


async def test_an_invalid_window_is_shown_in_the_modal(rig: SlackRig) -> None:
    await rig.command("request new")
    view = rig.fake.named("views.open")[0].body["view"]
    payload = submission(view, {"from": date("2026-12-05"), "to": date("2026-12-01")})
    status, body = await rig.interact(payload)
    assert status == 200
    assert json.loads(body) == {
        "response_action": "errors",
        "errors": {"to": "The end date is before the start date."},
    }
    assert [c.method for c in rig.fake.calls if c.method.startswith("chat.")] == []


async def test_the_issue_modal_reports_an_issue_in_chinese_too(rig: SlackRig) -> None:
    for line in ("dept add 研发部", "dept add 运维部", 'project new "Apollo" depts:研发部,运维部'):
        await rig.command(line)
    await rig.command("问题 上报")
    view = rig.fake.named("views.open")[0].body["view"]
    assert view["title"]["text"] == "上报问题"
    values = {
        "title": text_input("移动端无法登录"),
        "urgency": select("high"),
        "depts": text_input("研发部, 运维部"),
        "category": text_input("登录"),
        "desc": text_input('报错 "500"，从 09:00 开始'),
    }

    status, _ = await rig.interact(submission(view, values))

    assert status == 200
    [issue] = await rig.rows(Issue)
    assert (issue.title, issue.urgency, issue.category) == ("移动端无法登录", "high", "登录")
    assert issue.description == '报错 "500"，从 09:00 开始'
    assert {link.department_id for link in await rig.rows(IssueDepartment)} == {
        d.id for d in await rig.rows(Department)
    }

"""Neutral messages → card JSON 2.0 / text: markup, mentions, colours, buttons, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from adapters.feishu.outbound import (
    card,
    decode_value,
    header_colour,
    markdown,
    plain,
    render,
    text_body,
)
from bot.text.messages import (
    Actions,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Mention,
    Message,
    Section,
)
from bot.text.render import MessageBuilder

BOB = Mention(7, "Bob Lee", {"feishu": "ou_bob", "console": "bob"})
CAROL = Mention(8, "Carol <Ops>", {"slack": "U333"})  # not on Feishu


def test_mentions_bold_instants_and_escaping() -> None:
    when = MessageBuilder.when(datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "11-25 15:00")
    message = Message((), (BOB, CAROL))
    text = f"**T1 <spec> & plan** for <@m:7> and <@m:8>, not <@m:9>, at {when}"
    assert markdown(text, message) == (
        "**T1 &#60;spec&#62; & plan** for <at id=ou_bob></at> and @Carol &#60;Ops&#62;, "
        "not @?, at 11-25 15:00"
    )
    assert plain(text, message) == (
        "T1 <spec> & plan for @Bob Lee and @Carol <Ops>, not @?, at 11-25 15:00"
    )
    assert markdown("&#60; stays text", message) == "&#38;#60; stays text"


def test_short_replies_are_text_messages() -> None:
    message = Message((Section("**T1** 已分配给 <@m:7>"), Context("提示")), (BOB,))
    msg_type, content = render(message)
    assert msg_type == "text"
    assert json.loads(content) == {
        "text": '<b>T1</b> 已分配给 <at user_id="ou_bob">Bob Lee</at>\n提示'
    }
    assert text_body(Message((Section("给 <@m:8>"),), (CAROL,))) == "给 @Carol <Ops>"


def test_cards_have_a_header_markdown_fields_and_callback_buttons() -> None:
    message = Message(
        (
            Header("审批 · <@m:7>"),
            Section("正文"),
            Fields((("审批人", "<@m:7>"), ("截止", "11-25"), ("用途", "展会"))),
            Divider(),
            Context("小字"),
            Actions(
                (Button("同意", "approval.approve", "12", "primary"), Button("看看", "x.y", "1"))
            ),
        ),
        (BOB,),
        card_key="approval:12",
    )
    msg_type, content = render(message)
    assert msg_type == "interactive"
    result = json.loads(content)
    assert result["schema"] == "2.0"
    assert result["config"] == {"update_multi": True, "summary": {"content": "审批 · @Bob Lee"}}
    assert result["header"] == {
        "title": {"tag": "plain_text", "content": "审批 · @Bob Lee"},
        "template": "orange",
    }
    section, row1, row2, hr, context, buttons = result["body"]["elements"]
    assert section == {"tag": "markdown", "content": "正文"}
    assert [c["elements"][0]["content"] for c in row1["columns"]] == [
        "**审批人**\n<at id=ou_bob></at>",
        "**截止**\n11-25",
    ]
    assert len(row2["columns"]) == 1
    assert hr == {"tag": "hr"}
    assert context == {"tag": "markdown", "content": "小字", "text_size": "notation"}
    first, second = (c["elements"][0] for c in buttons["columns"])
    assert first == {
        "tag": "button",
        "text": {"tag": "plain_text", "content": "同意"},
        "type": "primary",
        "behaviors": [{"type": "callback", "value": {"action": "approval.approve", "value": "12"}}],
    }
    assert second["type"] == "default"
    assert decode_value(first["behaviors"][0]["value"]) == ("approval.approve", "12")


def test_the_header_colour_follows_the_cards_state() -> None:
    assert header_colour(Message((Header("x"), Section("✅ 已同意")))) == "green"
    assert header_colour(Message((Header("x"), Section("❌ 已驳回")))) == "red"
    assert header_colour(Message((Header("x"), Section("进行中")))) == "blue"


def test_a_card_without_a_header_has_none_and_a_second_header_is_bold() -> None:
    result = card(Message((Fields((("a", "b"),)), Header("二"))))
    assert "header" not in result
    assert result["body"]["elements"][-1] == {"tag": "markdown", "content": "**二**"}


def test_cards_stay_under_thirty_kilobytes() -> None:
    many = card(Message(tuple(Section("字" * 500) for i in range(100)), card_key="big"))
    assert len(json.dumps(many, ensure_ascii=False).encode()) <= 30 * 1024
    assert many["body"]["elements"][-1] == {"tag": "markdown", "content": "…"}
    one = card(Message((Section("字" * 20000),), card_key="one"))
    assert len(json.dumps(one, ensure_ascii=False).encode()) <= 30 * 1024
    assert one["body"]["elements"][0]["content"].endswith("…")


def test_foreign_callback_values_are_not_concord_buttons() -> None:
    assert decode_value({"key": "value"}) is None
    assert decode_value('{"action": "task.done", "value": 3}') == ("task.done", "3")
    assert decode_value("not json") is None
    assert decode_value(None) is None

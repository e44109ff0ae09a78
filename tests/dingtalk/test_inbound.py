"""DingTalk robot messages and card callbacks → neutral events (pure functions)."""

from __future__ import annotations

import json

from adapters.dingtalk.inbound import (
    callback_params,
    card_chat,
    command_text,
    from_card_callback,
    from_robot_message,
    out_track_id,
)
from tests.dingtalk.helpers import GROUP, fixture, group_message


def test_the_documented_group_message_becomes_a_command() -> None:
    event = from_robot_message(fixture("robot_message_group_at_text.json"))
    assert event is not None
    assert (event.platform, event.chat_id, event.sender_id) == ("dingtalk", GROUP, "16650***698")
    assert (event.text, event.sender_name, event.chat_name) == ("测试数据", "用户", "测试群")
    assert not event.is_direct
    assert event.mentions == {}  # the only @ is the robot itself
    assert event.event_id == "message:msgLICYe****HgY4JtMQw=="


def test_a_single_chat_is_addressed_by_the_speakers_user_id() -> None:
    event = from_robot_message(fixture("robot_message_p2p_text.json"))
    assert event is not None
    assert (event.chat_id, event.sender_id, event.is_direct) == ("042***297", "042***297", True)
    assert (event.text, event.chat_name) == ("hello DingTalk!", None)


def test_mentions_become_neutral_tokens_with_their_names() -> None:
    body = group_message(
        '任务 新建 "写方案" 负责人:@张伟 截止:周五',
        msg_id="m1",
        at=(("$:LWCP_v1:$zhang", "zhangwei"),),
    )
    event = from_robot_message(body)
    assert event is not None
    assert event.text == '任务 新建 "写方案" 负责人:<@zhangwei> 截止:周五'
    assert event.mentions == {"zhangwei": "张伟"}


def test_a_person_without_staff_id_is_known_by_their_dingtalk_id() -> None:
    body = group_message("成员 @访客", msg_id="m2", at=(("$:LWCP_v1:$guest", None),))
    event = from_robot_message(body)
    assert event is not None
    assert event.text == "成员 <@$:LWCP_v1:$guest>"


def test_a_literal_user_id_matches_that_user_and_emails_are_left_alone() -> None:
    text, mentions = command_text("指派 @lisi 给 a@b.com 和 @wang", ["wangfang", "lisi"])
    assert text == "指派 <@lisi> 给 a@b.com 和 <@wangfang>"
    assert mentions == {"lisi": "lisi", "wangfang": "wang"}


def test_an_at_word_nobody_was_mentioned_for_stays_text() -> None:
    assert command_text("负责人:@张伟", []) == ("负责人:@张伟", {})


def test_rich_text_and_speech_are_read_pictures_are_not_text() -> None:
    rich = from_robot_message(fixture("robot_message_p2p_richtext.json"))
    audio = from_robot_message(fixture("robot_message_p2p_audio.json"))
    picture = from_robot_message(fixture("robot_message_p2p_picture.json"))
    assert (
        rich is not None
        and rich.text == "这个问题示例图如下： 通过以上示意图可以明白完整的交互流程"
    )
    assert audio is not None and audio.text.startswith("钉钉PaaS开放中心")
    assert picture is not None and picture.text == ""


def test_malformed_messages_are_not_events() -> None:
    assert from_robot_message({}) is None
    assert from_robot_message({"msgId": "x", "conversationId": 7, "senderStaffId": "a"}) is None
    body = fixture("robot_message_p2p_text.json")
    body["text"] = "not an object"
    event = from_robot_message(body)
    assert event is not None and event.text == ""


def test_the_card_id_carries_its_chat() -> None:
    track = out_track_id("outbox-12", GROUP, direct=False)
    assert "." not in track.split(".", 3)[3]
    assert card_chat(track) == (GROUP, False)
    assert card_chat(out_track_id("x", "user01", direct=True)) == ("user01", True)
    assert card_chat("XXXXXX") is None
    assert card_chat("concord.k.g.!!!") is None


def test_a_card_click_becomes_an_action_event() -> None:
    body = fixture("card_callback_http_request.json")
    track = out_track_id("outbox-3", GROUP, direct=False)
    params = {"action": "approval.approve", "value": "5"}
    body.update(outTrackId=track, userId="bob01")
    body["content"] = json.dumps({"cardPrivateData": {"actionIds": ["1"], "params": params}})
    event = from_card_callback(body)
    assert event is not None
    assert (event.chat_id, event.sender_id, event.action, event.value) == (
        GROUP,
        "bob01",
        "approval.approve",
        "5",
    )
    assert event.message_id == track
    assert event.event_id == f"card:{track}:bob01:approval.approve:5"


def test_params_are_read_from_content_or_value() -> None:
    documented = fixture("card_callback_http_request.json")
    assert callback_params(documented) == {"action": "accept"}
    other = {"value": json.dumps({"params": {"action": "approval.reject", "value": "9"}})}
    assert callback_params(other) == {"action": "approval.reject", "value": "9"}
    assert callback_params({"content": "{not json"}) == {}


def test_the_documented_callback_is_not_one_of_our_cards() -> None:
    assert from_card_callback(fixture("card_callback_http_request.json")) is None
    assert from_card_callback({"outTrackId": 3}) is None

"""Feishu payloads → neutral events: mentions, the bot's own mention, rich text, clicks."""

from __future__ import annotations

from adapters.feishu.inbound import event_type, from_card_action, from_message
from tests.feishu.payloads import BOT, card_action, fixture, message

BOB = ("ou_bob", "Bob Lee")
ME = (BOT, "Concord")


def test_the_documented_event_becomes_a_message() -> None:
    payload = fixture("im_message_receive_v1_group_mention.json")
    incoming = from_message(payload, bot_open_id="ou_someone_else")
    assert incoming is not None
    assert event_type(payload) == "im.message.receive_v1"
    assert incoming.chat_id == "oc_5ce6d572455d361153b7xx51da133945"
    assert incoming.sender_id == "ou_84aad35d084aa403a838cf73ee18467"
    assert incoming.text == "<@ou_84aad35d084aa403a838cf73ee18467> hello"
    assert incoming.mentions == {"ou_84aad35d084aa403a838cf73ee18467": "Tom"}
    assert incoming.event_id == "message:om_5ce6d572455d361153b7cb51da133945"
    assert incoming.thread_id == "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf"  # it is a reply
    assert not incoming.is_direct


def test_the_bot_mention_is_stripped_and_people_become_tokens() -> None:
    payload = message(
        "@_user_1 任务 新建 “写需求” 负责人:@_user_2 @_user_10",
        mentions={"@_user_1": ME, "@_user_2": BOB, "@_user_10": ("ou_carol", "Carol")},
    )
    incoming = from_message(payload, bot_open_id=BOT)
    assert incoming is not None
    assert incoming.text == "任务 新建 “写需求” 负责人:<@ou_bob> <@ou_carol>"
    assert incoming.mentions == {"ou_bob": "Bob Lee", "ou_carol": "Carol"}
    assert incoming.thread_id is None


def test_without_the_bots_id_the_leading_mention_in_a_group_is_the_bot() -> None:
    payload = message("@_user_1 看板 @_user_2", mentions={"@_user_1": ME, "@_user_2": BOB})
    incoming = from_message(payload, bot_open_id=None)
    assert incoming is not None and incoming.text == "看板 <@ou_bob>"


def test_a_direct_message_needs_no_mention() -> None:
    incoming = from_message(message("我的", chat="oc_p2p", chat_type="p2p"), bot_open_id=BOT)
    assert incoming is not None and incoming.is_direct and incoming.text == "我的"


def test_rich_text_posts_are_read_line_by_line() -> None:
    content = {
        "title": "",
        "content": [
            [
                {"tag": "at", "user_id": "@_user_1", "user_name": "Concord"},
                {"tag": "text", "text": " 任务 新建 "},
            ],
            [{"tag": "text", "text": "负责人:"}, {"tag": "at", "user_id": "@_user_2"}],
            [
                {"tag": "img", "image_key": "img_v2_x"},
                {"tag": "a", "text": "规格", "href": "https://x"},
            ],
        ],
    }
    payload = message("", kind="post", content=content, mentions={"@_user_1": ME, "@_user_2": BOB})
    incoming = from_message(payload, bot_open_id=BOT)
    assert incoming is not None
    assert incoming.text == "任务 新建 \n负责人:<@ou_bob>\n规格"
    assert incoming.mentions == {"ou_bob": "Bob Lee"}


def test_unreadable_or_foreign_content_gives_an_empty_line() -> None:
    image = message("", kind="image", content={"image_key": "img_1"})
    assert from_message(image, bot_open_id=BOT).text == ""  # type: ignore[union-attr]
    broken = message("x")
    broken["event"]["message"]["content"] = "{not json"
    assert from_message(broken, bot_open_id=BOT).text == ""  # type: ignore[union-attr]


def test_messages_from_bots_or_without_ids_are_not_ours() -> None:
    from_bot = message("hi")
    from_bot["event"]["sender"]["sender_type"] = "app"
    assert from_message(from_bot, bot_open_id=BOT) is None
    assert from_message({"event": {}}, bot_open_id=BOT) is None
    assert from_message({}, bot_open_id=BOT) is None


def test_a_click_on_a_concord_button() -> None:
    payload = card_action(
        operator="ou_bob", action="approval.approve", value="12", message_id="om_card"
    )
    event = from_card_action(payload)
    assert event is not None
    assert (event.action, event.value, event.sender_id) == ("approval.approve", "12", "ou_bob")
    assert (event.chat_id, event.message_id) == ("oc_group", "om_card")
    assert event.event_id == "event:" + payload["header"]["event_id"]


def test_the_documented_click_is_not_one_of_ours() -> None:
    assert from_card_action(fixture("card_action_trigger.json")) is None  # {"key": "value"}
    assert event_type(fixture("card_action_trigger.json")) == "card.action.trigger"

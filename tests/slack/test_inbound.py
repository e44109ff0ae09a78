"""Slack payloads (tests/fixtures/slack) → neutral messages and actions."""

from __future__ import annotations

import copy

import pytest

from adapters.slack import inbound
from commands.parsing.tokens import tokenize
from tests.slack.conftest import fixture, slash_fields


def test_an_app_mention_drops_the_bot_and_keeps_the_text() -> None:
    event = fixture("events_api_app_mention.json")["event"]
    assert inbound.wants_event(event)
    message = inbound.from_event(event, names={}, bot_user_id="W111")
    assert (message.platform, message.chat_id, message.sender_id) == ("slack", "C111", "W222")
    assert message.text == "Hi there!"
    assert message.event_id == "message:C111:1595926230.009600"
    assert (message.is_direct, message.thread_id) == (False, None)


def test_a_mention_with_blocks() -> None:
    event = fixture("events_api_app_mention_with_blocks.json")["event"]
    message = inbound.from_event(event, names={"U222": "Bob Lee"}, bot_user_id="U111")
    assert (message.text, message.sender_name) == ("hey", "Bob Lee")


def test_the_socket_mode_mention_is_the_same_event() -> None:
    event = fixture("socket_mode_events_api_app_mention.json")["payload"]["event"]
    message = inbound.from_event(event, names={}, bot_user_id="U111")
    assert (message.text, message.sender_id) == ("", "U222")


def test_channel_messages_are_not_commands_but_direct_messages_are() -> None:
    event = copy.deepcopy(fixture("events_api_message_channel.json")["event"])
    assert not inbound.wants_event(event)
    retry = fixture("socket_mode_events_api_message_retry.json")["payload"]["event"]
    assert not inbound.wants_event(retry)
    event.update(channel="D024BE91L", channel_type="im")
    assert inbound.wants_event(event)
    message = inbound.from_event(event, names={}, bot_user_id="UBOT")
    assert (message.is_direct, message.text) == (True, "Hello World!")


@pytest.mark.parametrize(
    "change",
    [{"bot_id": "B1"}, {"subtype": "message_changed"}, {"user": None}],
)
def test_bot_posts_edits_and_system_messages_are_ignored(change: dict) -> None:
    event = copy.deepcopy(fixture("events_api_app_mention.json")["event"])
    event.update(change)
    assert not inbound.wants_event(event)


def test_a_slash_command() -> None:
    message = inbound.from_command(slash_fields(), names={})
    assert (message.chat_id, message.sender_id, message.text) == ("C111", "W111", "Hi")
    assert (message.chat_name, message.sender_name) == ("#random", "primary-owner")
    assert message.event_id == "command:111.111.xxx"
    assert not message.is_direct


def test_a_slash_command_in_a_direct_message() -> None:
    fields = {**slash_fields(), "channel_id": "D0111", "channel_name": "directmessage"}
    message = inbound.from_command(fields, names={})
    assert (message.is_direct, message.chat_name) == (True, "D0111")


def test_slack_markup_becomes_the_command_line_the_tokenizer_reads() -> None:
    raw = (
        "<@UBOT> task add &quot;x&quot; &lt;b&gt; &amp; c owner:<@U222|bob> "
        "std:<https://wiki.example.com/spec|the spec> in <#C777|ops> <!here>"
    )
    text, mentions = inbound.command_text(raw, names={"U222": "Bob Lee"}, bot_user_id="UBOT")
    assert text == (
        "task add &quot;x&quot; <b> & c owner:<@U222> std:https://wiki.example.com/spec in #ops"
    )
    assert mentions == {"U222": "Bob Lee"}
    owner = next(t for t in tokenize(text) if t.kind == "option" and t.key == "owner")
    assert owner.text == "<@U222>"


def test_mentioned_users_skip_the_bot() -> None:
    text = "<@UBOT> task T1 raci R:<@U1> A:<@W2|w> I:<@U1>"
    assert inbound.mentioned_users(text, bot_user_id="UBOT") == ["U1", "W2"]


def test_a_button_click() -> None:
    body = fixture("block_actions_message.json")
    event = inbound.from_action(body, names={})
    assert event is not None
    assert (event.chat_id, event.sender_id, event.action, event.value) == (
        "C111",
        "U111",
        "button",
        "clicked",
    )
    assert event.message_id == "1678252213.679169"
    assert event.event_id == "action:C111:1678252216.469172:U111"


def test_an_ephemeral_click_and_a_made_unique_action_id() -> None:
    body = copy.deepcopy(fixture("block_actions_ephemeral_min.json"))
    body["actions"][0]["action_id"] = "task.done~3"
    event = inbound.from_action(body, names={})
    assert event is not None
    assert (event.action, event.sender_name, event.chat_name) == (
        "task.done",
        "primary-owner",
        "#test-channel",
    )


def test_a_click_without_a_value_is_not_an_action() -> None:
    body = copy.deepcopy(fixture("block_actions_message.json"))
    del body["actions"][0]["value"]
    assert inbound.from_action(body, names={}) is None


def test_form_values() -> None:
    state = {
        "values": {
            "reason": {"v": {"type": "plain_text_input", "value": "too early"}},
            "kind": {"v": {"type": "static_select", "selected_option": {"value": "budget"}}},
            "day": {"v": {"type": "datepicker", "selected_date": "2026-12-01"}},
            "empty": {"v": {"type": "plain_text_input", "value": None}},
            "who": {"v": {"type": "users_select", "selected_user": "U9"}},
        }
    }
    assert inbound.form_values(state) == {
        "reason": "too early",
        "kind": "budget",
        "day": "2026-12-01",
        "who": "U9",
    }

"""Button clicks on a card (block_actions): the approver updates it in place with
chat.update; anyone else gets a private refusal (chat.postEphemeral) and nothing changes."""

from __future__ import annotations

from storage.tables import CardRef
from tests.slack.card_desk import use_card_desk
from tests.slack.conftest import SlackRig


async def _post_card(rig: SlackRig) -> str:
    assert await rig.command("card post <@U222|bob>") == 200
    [posted] = rig.fake.named("chat.postMessage")
    [ref] = await rig.rows(CardRef)
    assert (ref.card_key, ref.chat_external_id) == ("testcard:1", "C111")
    assert ref.message_id == posted.response["ts"]
    actions = [b for b in posted.body["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        "testcard.approve",
        "testcard.reject",
    ]
    return ref.message_id


async def test_the_approver_updates_the_card_in_place(rig: SlackRig) -> None:
    desk = use_card_desk(rig.app)
    card_ts = await _post_card(rig)

    assert (
        await rig.click(user="U222", message_ts=card_ts, action="testcard.approve", value="1")
        == 200
    )

    [update] = rig.fake.named("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("C111", card_ts)
    texts = [
        e["text"] for b in update.body["blocks"] if b["type"] == "context" for e in b["elements"]
    ]
    assert texts == ["*approved* by <@U222>"]
    assert not any(b["type"] == "actions" for b in update.body["blocks"])
    assert desk.outcomes == {"1": "approved"}
    assert rig.fake.named("chat.postEphemeral") == []
    [note] = rig.fake.named("chat.postMessage")[1:]  # a reply about the card: in its thread
    assert (note.body["text"], note.body["thread_ts"]) == ("Card 1 approved.", card_ts)


async def test_a_wrong_clicker_is_refused_privately_and_nothing_changes(rig: SlackRig) -> None:
    desk = use_card_desk(rig.app)
    card_ts = await _post_card(rig)

    assert (
        await rig.click(user="U333", message_ts=card_ts, action="testcard.approve", value="1")
        == 200
    )

    [refusal] = rig.fake.named("chat.postEphemeral")
    assert (refusal.body["channel"], refusal.body["user"]) == ("C111", "U333")
    assert "Only Bob Lee may change card 1" in refusal.body["text"]
    assert "thread_ts" not in refusal.body  # shown where the card is, not in a thread
    assert rig.fake.named("chat.update") == []
    assert desk.outcomes == {}
    assert len(rig.fake.named("chat.postMessage")) == 1


async def test_a_click_on_an_unknown_button_is_answered_privately(rig: SlackRig) -> None:
    use_card_desk(rig.app)
    card_ts = await _post_card(rig)
    assert await rig.click(user="U222", message_ts=card_ts, action="gone.away", value="1") == 200
    [refusal] = rig.fake.named("chat.postEphemeral")
    assert refusal.body["text"] == "That button is no longer active."

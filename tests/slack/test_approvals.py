"""The real resource-request approval cards in Slack: a request (typed or from the modal)
posts the step's card in the project channel and the approver's DM; the approver's click
updates both in place (chat.update), anyone else's is refused privately and changes nothing."""

from __future__ import annotations

from storage.tables import ApprovalStep, CardRef, ResourceRequest
from tests.slack.conftest import SlackRig
from tests.slack.test_modals import date, select, submission, text_input

# alice (U111, Engineering) asks; bob (U222) leads Engineering; carol (U333) leads
# Administration, which owns the material.
SETUP = (
    "dept add Engineering leader:<@U222|bob>",
    "dept add Administration leader:<@U333|carol>",
    "member <@U111|alice> dept:Engineering",
    'project new "Apollo" depts:Engineering,Administration',
)
REQUEST = (
    'request new material "2 event stands" from:2026-12-01 to:2026-12-05 '
    'purpose:"618大促活动支持" return:"back to Administration" dept:Administration'
)


async def prepare(rig: SlackRig) -> None:
    for line in SETUP:
        assert await rig.command(line) == 200


def card_posts(rig: SlackRig, step_id: int) -> list:
    return [
        c
        for c in rig.fake.named("chat.postMessage")
        if any(
            e.get("action_id") == "approval.approve" and e.get("value") == str(step_id)
            for b in c.body["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        )
    ]


async def first_step(rig: SlackRig) -> ApprovalStep:
    steps = sorted(await rig.rows(ApprovalStep), key=lambda s: s.id)
    return steps[0]


async def test_the_approver_updates_the_card_everywhere_it_was_posted(rig: SlackRig) -> None:
    await prepare(rig)
    await rig.command(REQUEST)
    step = await first_step(rig)
    posts = card_posts(rig, step.id)
    assert sorted(p.body["channel"] for p in posts) == ["C111", "D222"]
    group_card = next(p for p in posts if p.body["channel"] == "C111")
    refs = {r.chat_external_id: r.message_id for r in await rig.rows(CardRef)}
    assert refs["C111"] == group_card.response["ts"]

    status = await rig.click(
        user="U222", message_ts=refs["C111"], action="approval.approve", value=str(step.id)
    )

    assert status == 200
    updates = rig.fake.named("chat.update")
    assert sorted((u.body["channel"], u.body["ts"]) for u in updates) == sorted(
        [("C111", refs["C111"]), ("D222", refs["U222"])]
    )
    for update in updates:
        assert not any(b["type"] == "actions" for b in update.body["blocks"])
    decided = next(s for s in await rig.rows(ApprovalStep) if s.id == step.id)
    assert decided.status == "approved"


async def test_someone_else_is_refused_privately_and_nothing_changes(rig: SlackRig) -> None:
    await prepare(rig)
    await rig.command(REQUEST)
    step = await first_step(rig)
    [group_card] = [p for p in card_posts(rig, step.id) if p.body["channel"] == "C111"]
    before = await rig.rows(ApprovalStep)

    status = await rig.click(
        user="U333",
        message_ts=group_card.response["ts"],
        action="approval.approve",
        value=str(step.id),
    )

    assert status == 200
    [refusal] = rig.fake.named("chat.postEphemeral")
    assert (refusal.body["channel"], refusal.body["user"]) == ("C111", "U333")
    assert rig.fake.named("chat.update") == []
    assert [s.model_dump() for s in await rig.rows(ApprovalStep)] == [
        s.model_dump() for s in before
    ]


async def test_the_request_modal_creates_a_resource_request(rig: SlackRig) -> None:
    await prepare(rig)
    await rig.command("request new")
    view = rig.fake.named("views.open")[0].body["view"]
    values = {
        "type": select("material"),
        "what": text_input("2 event stands"),
        "from": date("2026-12-01"),
        "to": date("2026-12-05"),
        "purpose": text_input("618大促活动支持"),
        "return": text_input("back to Administration"),
        "dept": text_input("Administration"),
    }

    status, body = await rig.interact(submission(view, values))

    assert (status, body) == (200, "")
    [request] = await rig.rows(ResourceRequest)
    assert (request.kind, request.purpose) == ("material", "618大促活动支持")
    step = await first_step(rig)
    assert sorted(p.body["channel"] for p in card_posts(rig, step.id)) == ["C111", "D222"]

"""HTTP mode end to end: signed requests to Concord's own aiohttp server, the real bolt
AsyncApp, the real dispatcher and database, and the fake Slack Web API."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from urllib.parse import urlencode

from storage.tables import (
    Chat,
    InboundEvent,
    Issue,
    Member,
    MemberIdentity,
    Outbox,
    Project,
    Task,
)
from tests.conftest import START
from tests.slack.conftest import SlackRig, fixture, slash_fields


def mention_event(text: str, *, user: str = "U111", ts: str = "1595926230.009600") -> dict:
    payload = copy.deepcopy(fixture("events_api_app_mention.json"))
    payload["event"].update(text=text, user=user, ts=ts, event_ts=ts)
    return payload


async def test_slash_command_adds_a_task_and_the_reply_reaches_slack(rig: SlackRig) -> None:
    assert await rig.command('project new "Apollo"') == 200
    began = time.monotonic()
    status, body = await rig.post(
        rig.command_body('task add "Write spec" owner:<@U222|bob> due:D+2'),
        "application/x-www-form-urlencoded",
    )
    acked_in = time.monotonic() - began
    await rig.settle()

    assert (status, body) == (200, "")
    assert acked_in < 3.0
    [task] = await rig.rows(Task)
    assert task.title == "Write spec"
    reply = rig.fake.named("chat.postMessage")[-1]
    assert reply.body["channel"] == "C111"
    assert (
        reply.body["blocks"][0]["text"]["text"]
        == "Added *T1 Write spec* — owner <@U222>, due 11-25."
    )
    assert reply.headers["Authorization"] == "Bearer xoxb-test"


async def test_first_sight_of_a_slack_user_makes_a_member_with_name_and_zone(rig: SlackRig) -> None:
    await rig.command('project new "Apollo"')
    await rig.command("task add Spec owner:<@U222|bob>")
    members = {m.name: m for m in await rig.rows(Member)}
    assert set(members) == {"Alice Wang", "Bob Lee"}
    assert members["Bob Lee"].timezone == "America/Los_Angeles"
    assert members["Alice Wang"].profile_refreshed_at == START
    identities = {(i.platform, i.external_id) for i in await rig.rows(MemberIdentity)}
    assert identities == {("slack", "U111"), ("slack", "U222")}
    [chat] = await rig.rows(Chat)
    assert (chat.external_id, chat.name) == ("C111", "#random")


async def test_the_ack_does_not_wait_for_the_work(rig: SlackRig) -> None:
    rig.fake.delays["users.info"] = 0.5
    began = time.monotonic()
    status, _ = await rig.post(rig.command_body("help"), "application/x-www-form-urlencoded")
    assert status == 200
    assert time.monotonic() - began < 0.5
    assert await rig.app.inbox.pending() == 1  # stored before the ack, run after it
    await rig.settle()
    assert rig.fake.named("chat.postEphemeral")


async def test_a_forged_signature_gets_401_and_changes_nothing(rig: SlackRig) -> None:
    raw = rig.command_body('project new "Forged"')
    status, _ = await rig.post(raw, "application/x-www-form-urlencoded", secret="not-the-secret")
    await rig.settle()
    assert status == 401
    assert await rig.rows(Project) == []
    assert rig.fake.calls == []


async def test_a_ten_minute_old_request_gets_401(rig: SlackRig) -> None:
    raw = rig.command_body('project new "Replayed"')
    stale = int(time.time()) - 600
    status, _ = await rig.post(raw, "application/x-www-form-urlencoded", timestamp=stale)
    await rig.settle()
    assert status == 401
    assert await rig.rows(Project) == []


async def test_url_verification_echoes_the_challenge(rig: SlackRig) -> None:
    payload = fixture("url_verification.json")
    status, body = await rig.post(json.dumps(payload), "application/json")
    assert status == 200
    assert json.loads(body) == {"challenge": payload["challenge"]}


async def test_the_same_event_delivered_twice_runs_once(rig: SlackRig) -> None:
    rig.fake.bot_user_id = "W111"  # the fixture mentions the bot as <@W111>
    event = mention_event('<@W111> project new "Apollo"')
    assert await rig.event(event) == 200
    assert await rig.event(event, retry=1) == 200  # Slack's retry: X-Slack-Retry-Num: 1

    assert [p.name for p in await rig.rows(Project)] == ["Apollo"]
    assert len(rig.fake.named("chat.postMessage")) == 1
    [seen] = await rig.rows(InboundEvent)
    assert seen.event_id == "message:C111:1595926230.009600"
    assert seen.status == "done"


async def test_a_mention_in_a_thread_is_answered_in_that_thread(rig: SlackRig) -> None:
    rig.fake.bot_user_id = "W111"
    event = mention_event('<@W111> project new "Apollo"')
    event["event"]["thread_ts"] = "1595926000.000100"
    await rig.event(event)
    [reply] = rig.fake.named("chat.postMessage")
    assert reply.body["thread_ts"] == "1595926000.000100"
    assert "Created project *P1 Apollo*" in reply.body["blocks"][0]["text"]["text"]


async def test_a_direct_message_is_a_command_answered_in_the_dm(rig: SlackRig) -> None:
    payload = copy.deepcopy(fixture("events_api_message_channel.json"))
    payload["event"].update(text="help", user="U111", channel="D0111", channel_type="im")
    await rig.event(payload)
    [reply] = rig.fake.named("chat.postMessage")
    assert reply.body["channel"] == "D0111"
    [chat] = await rig.rows(Chat)
    assert chat.is_direct


async def test_channel_chatter_and_bot_messages_are_ignored(rig: SlackRig) -> None:
    chatter = fixture("events_api_message_channel.json")  # channel_type "channel", no mention
    await rig.event(chatter)
    bot = copy.deepcopy(fixture("events_api_message_channel.json"))
    bot["event"].update(channel_type="im", bot_id="B999")
    await rig.event(bot)
    assert [c.method for c in rig.fake.calls if c.method.startswith("chat.")] == []


async def test_personal_answers_and_errors_are_ephemeral(rig: SlackRig) -> None:
    await rig.command("my")
    await rig.command("task add Nothing")  # no project bound yet: an error
    answers = rig.fake.named("chat.postEphemeral")
    assert [(a.body["channel"], a.body["user"]) for a in answers] == [("C111", "U111")] * 2
    assert "not bound to a project" in answers[1].body["text"]
    assert rig.fake.named("chat.postMessage") == []


async def test_a_slash_command_in_a_dm_is_answered_there(rig: SlackRig) -> None:
    fields = slash_fields()
    fields.update(
        command="/concord",
        text='project new "Solo"',
        channel_id="D0111",
        channel_name="directmessage",
    )
    status, _ = await rig.post(urlencode(fields), "application/x-www-form-urlencoded")
    await rig.settle()
    assert status == 200
    [reply] = rig.fake.named("chat.postMessage")
    assert reply.body["channel"] == "D0111"
    [row] = [r for r in await rig.rows(Outbox) if r.status == "sent"]
    assert row.is_direct


async def test_a_retry_arriving_while_the_first_delivery_runs_is_dropped(rig: SlackRig) -> None:
    rig.fake.bot_user_id = "W111"
    event = mention_event('<@W111> project new "Apollo"')
    first, retry = await asyncio.gather(rig.event(event), rig.event(event, retry=1))
    assert (first, retry) == (200, 200)
    assert [p.name for p in await rig.rows(Project)] == ["Apollo"]
    assert len(rig.fake.named("chat.postMessage")) == 1


async def test_two_first_commands_of_a_new_user_at_once_both_run(rig: SlackRig) -> None:
    await rig.command('project new "Apollo"')
    await asyncio.gather(
        rig.command('issue report "One"', user="U333"),
        rig.command('issue report "Two"', user="U333"),
    )
    assert sorted(i.title for i in await rig.rows(Issue)) == ["One", "Two"]
    assert sorted(m.name for m in await rig.rows(Member)) == ["Alice Wang", "Carol Zhou"]

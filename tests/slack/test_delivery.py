"""Outbound through the outbox: rate limits, permanent errors, DMs, and user profiles."""

from __future__ import annotations

from datetime import timedelta

from adapters.slack.identity import Directory
from adapters.slack.platform import SlackPlatform
from bot.dates.clock import ManualClock
from bot.inbound.profiles import ProfileStore
from bot.text.messages import Message, Section, Target
from storage.tables import Member, Outbox
from tests.slack.conftest import SlackRig


async def test_a_429_is_retried_once_after_retry_after(rig: SlackRig, clock: ManualClock) -> None:
    await rig.command('project new "Apollo"')
    rig.fake.fail("chat.postMessage", status=429, Retry_After="1")

    await rig.command("task add Spec")
    [row] = [r for r in await rig.rows(Outbox) if r.status == "pending"]
    assert row.next_attempt_at - row.created_at >= timedelta(seconds=1)
    assert row.last_error is not None
    assert "rate limit" in row.last_error

    assert await rig.app.deliver() == 0  # not yet: Slack said one second
    clock.advance(timedelta(seconds=1))
    assert await rig.app.deliver() == 1

    posts = [c for c in rig.fake.named("chat.postMessage") if "T1" in c.body["text"]]
    assert len(posts) == 2  # the refused attempt and the one delivery
    [sent] = [r for r in await rig.rows(Outbox) if r.id == row.id]
    assert sent.status == "sent"
    assert sent.sent_at is not None
    assert sent.sent_at - sent.created_at >= timedelta(seconds=1)


async def test_a_channel_the_bot_is_not_in_fails_without_retrying(rig: SlackRig) -> None:
    rig.fake.fail("chat.postMessage", status=200, error="not_in_channel")
    await rig.command('project new "Apollo"')
    [row] = await rig.rows(Outbox)
    assert (row.status, row.last_error) == ("failed", "Slack error not_in_channel")


async def test_a_dm_to_a_user_opens_the_conversation_once(rig: SlackRig) -> None:
    platform = SlackPlatform(rig.adapter.client)
    target = Target("slack", "U222", is_direct=True)
    message = Message((Section("Reminder: **T1** is due"),))
    first = await platform.send(target, message)
    await platform.send(target, message)
    await platform.send_ephemeral(target, "U222", message)  # private already: a plain DM

    assert first == rig.fake.named("chat.postMessage")[0].response["ts"]
    assert len(rig.fake.named("conversations.open")) == 1
    assert rig.fake.named("conversations.open")[0].body == {"users": "U222"}
    posts = rig.fake.named("chat.postMessage")
    assert [p.body["channel"] for p in posts] == ["D222"] * 3
    assert posts[0].body["blocks"][0]["text"]["text"] == "Reminder: *T1* is due"
    assert rig.fake.named("chat.postEphemeral") == []


async def test_profiles_are_fetched_at_most_daily(rig: SlackRig, clock: ManualClock) -> None:
    await rig.command("help")
    await rig.command("help")
    assert len(rig.fake.named("users.info")) == 1

    # A restarted process trusts the stored profile while it is less than a day old …
    restarted = Directory(rig.adapter.client, ProfileStore(rig.app.sessions), rig.app.clock)
    clock.advance(timedelta(hours=23))
    await restarted.refresh(["U111"])
    assert len(rig.fake.named("users.info")) == 1

    # … and refreshes it after that, picking up a changed name and time zone.
    rig.fake.user("U111", "Alice W.", tz="Europe/London")
    clock.advance(timedelta(hours=1))
    await restarted.refresh(["U111"])
    assert len(rig.fake.named("users.info")) == 2
    [alice] = await rig.rows(Member)
    assert (alice.name, alice.timezone) == ("Alice W.", "Europe/London")


async def test_an_unknown_user_still_gets_an_answer(rig: SlackRig) -> None:
    assert await rig.command("help", user="U999") == 200
    [answer] = rig.fake.named("chat.postEphemeral")
    assert answer.body["user"] == "U999"
    [member] = await rig.rows(Member)
    assert (member.name, member.profile_refreshed_at) == ("primary-owner", None)

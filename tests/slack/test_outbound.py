"""Neutral messages → Block Kit: markup, mentions, limits, and golden files."""

from __future__ import annotations

from adapters.slack.outbound import fallback_text, mrkdwn, plain, render
from bot.text.messages import Actions, Button, Fields, Header, Mention, Message, Section
from bot.text.render import MessageBuilder
from tests.slack.conftest import SlackRig
from tests.slack.golden import assert_golden
from tests.slack.test_approvals import REQUEST, SETUP, card_posts, first_step

BOB = Mention(7, "Bob Lee", {"slack": "U222", "console": "bob"})
CAROL = Mention(8, "Carol <Ops>", {"console": "carol"})  # not on Slack


def test_bold_mentions_and_escaping() -> None:
    message = Message((), (BOB, CAROL))
    text = "**T1 <spec> & plan** for <@m:7> and <@m:8>, not <@m:9>"
    assert mrkdwn(text, message) == (
        "*T1 &lt;spec&gt; &amp; plan* for <@U222> and @Carol &lt;Ops&gt;, not @?"
    )
    assert plain(text, message) == "T1 <spec> & plan for @Bob Lee and @Carol <Ops>, not @?"


def test_headers_and_buttons_are_plain_text_within_limits() -> None:
    long = "x" * 200
    message = Message((Header(long), Actions((Button("y" * 90, "a.b", "1"),))))
    header, actions = render(message)["blocks"]
    assert header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) == 150
    assert len(actions["elements"][0]["text"]["text"]) == 75


def test_long_sections_split_at_line_ends() -> None:
    lines = [f"line {i:04d} " + "z" * 90 for i in range(60)]
    blocks = render(Message((Section("\n".join(lines)),)))["blocks"]
    assert len(blocks) == 3  # 29 + 29 + 2 lines of 100 characters
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert "\n".join(b["text"]["text"] for b in blocks) == "\n".join(lines)


def test_fields_go_ten_to_a_section() -> None:
    items = tuple((f"k{i}", f"v{i}") for i in range(12))
    blocks = render(Message((Fields(items),)))["blocks"]
    assert [len(b["fields"]) for b in blocks] == [10, 2]
    assert blocks[0]["fields"][0] == {"type": "mrkdwn", "text": "*k0*\nv0"}


def test_repeated_action_ids_are_made_unique_within_a_block() -> None:
    buttons = tuple(Button(f"Done T{i}", "task.done", str(i)) for i in range(1, 4))
    [block] = render(Message((Actions(buttons),)))["blocks"]
    assert [e["action_id"] for e in block["elements"]] == [
        "task.done",
        "task.done~2",
        "task.done~3",
    ]
    assert [e["value"] for e in block["elements"]] == ["1", "2", "3"]


def test_at_most_fifty_blocks() -> None:
    blocks = render(Message(tuple(Section(f"s{i}") for i in range(80))))["blocks"]
    assert len(blocks) == 50
    assert blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "…"}]}


def test_fallback_text_names_people() -> None:
    message = Message((Header("Card"), Section("for <@m:7> & co")), (BOB,))
    assert fallback_text(message) == "Card\nfor @Bob Lee &amp; co"


async def test_golden_approval_card(rig: SlackRig) -> None:
    """The real step-1 card of a material request, as posted in the project channel."""
    for line in (*SETUP, REQUEST):
        await rig.command(line)
    step = await first_step(rig)
    [card] = [p for p in card_posts(rig, step.id) if p.body["channel"] == "C111"]
    assert_golden("approval_card", {"text": card.body["text"], "blocks": card.body["blocks"]})


async def apollo_board(rig: SlackRig) -> None:
    """A small project with a phase, an overdue task, a blocked one and one started."""
    await rig.command('project new "Apollo" depts:研发部,市场部')
    await rig.command('phase add "需求调研" milestone:2026-12-01')
    await rig.command('task add "Write the spec" phase:需求调研 owner:<@U222|bob> due:D+2')
    await rig.command('task add "Book the venue" owner:<@U333|carol> dept:市场部 due:2026-11-20')
    await rig.command('task add "Design review" owner:<@U111|alice>')
    await rig.command('task T3 block "waiting for the mock-ups"')
    await rig.command("task T1 start")


async def test_golden_board(rig: SlackRig) -> None:
    await apollo_board(rig)
    before = len(rig.fake.named("chat.postMessage"))
    await rig.command("board")
    [board] = rig.fake.named("chat.postMessage")[before:]
    assert_golden("board", {"text": board.body["text"], "blocks": board.body["blocks"]})


async def test_golden_digest(rig: SlackRig) -> None:
    await apollo_board(rig)
    await rig.command("task T1 done")
    await rig.command('issue report "Login fails on Android" urgency:high')
    before = len(rig.fake.named("chat.postMessage"))
    await rig.command("digest")
    [digest] = rig.fake.named("chat.postMessage")[before:]
    assert_golden("digest", {"text": digest.body["text"], "blocks": digest.body["blocks"]})


def test_instants_show_in_each_readers_time_zone() -> None:
    from datetime import UTC, datetime

    when = MessageBuilder.when(datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "11-25 15:00")
    day = MessageBuilder.when(datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "11-25", "date")
    message = Message((Header(f"Meeting {when}"), Section(f"**Review** at {when}, due {day}")))
    header, section = render(message)["blocks"]
    assert header["text"]["text"] == "Meeting 11-25 15:00"
    assert section["text"]["text"] == (
        "*Review* at <!date^1795590000^{date_short_pretty} {time}|11-25 15:00>, "
        "due <!date^1795590000^{date_short_pretty}|11-25>"
    )
    assert message.plain_text() == "Meeting 11-25 15:00\nReview at 11-25 15:00, due 11-25"

"""End to end, in Chinese, through the real port: correctly signed requests built from the
fixtures reach the adapter's routes on Concord's own aiohttp app, are stored by the inbox,
run by the real dispatcher and database, and their replies are delivered to the fake
OpenAPI. Stream mode gets the same through the fake gateway's WebSocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from adapters.dingtalk.adapter import CARDS_PATH, EVENTS_PATH
from adapters.dingtalk.inbound import card_chat
from bot.main import App, start_server
from bot.settings import Settings
from storage import db
from storage.tables import ApprovalStep, InboundEvent, Member, Project, Task
from tests.dingtalk.conftest import (
    TEMPLATE,
    DingTalkRig,
    Mentions,
    card_click,
    configure,
    now_ms,
    start_rig,
)
from tests.dingtalk.fake_dingtalk import Call, FakeDingTalk
from tests.dingtalk.helpers import GROUP, card_headers, fixture, group_message, robot_headers
from tests.dingtalk.scenario import ALICE, ZHANG, request_card

HOUR_MS = 3_600_000
CREATE_CARD = "/v1.0/card/instances/createAndDeliver"
UPDATE_CARD = "/v1.0/card/instances"
SINGLE_SEND = "/v1.0/robot/oToMessages/batchSend"
DEAD_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on 1


async def test_a_chinese_task_command_creates_the_task_and_replies(rig: DingTalkRig) -> None:
    assert await rig.say('项目 新建 "阿波罗"') == 200
    assert await rig.say('任务 新建 "写方案" 负责人:@张伟 截止:D+2', at=ZHANG) == 200
    [task] = await rig.rows(Task)
    assert task.title == "写方案"
    assert rig.fake.sent_texts()[-1] == "已新建 **T1 写方案** —— 负责人 @zhangwei，截止 11-25。"
    members = {m.name for m in await rig.rows(Member)}
    assert members == {"王小丽", "张伟"}  # the sender's nick, the mention's name


async def test_the_nick_someone_speaks_with_becomes_their_name(rig: DingTalkRig) -> None:
    await rig.say('项目 新建 "阿波罗"')
    await rig.say('任务 新建 "写方案" 负责人:@张伟', at=ZHANG)  # known from the mention
    assert await rig.say("我的", sender="zhangwei", nick="张伟（研发）") == 200
    names = {m.name for m in await rig.rows(Member)}
    assert names == {"王小丽", "张伟（研发）"}
    await rig.say("看板")
    assert "@zhangwei" in rig.fake.sent_texts()[-1]


async def test_the_message_is_stored_before_the_answer_and_run_after_it(rig: DingTalkRig) -> None:
    body = group_message('项目 新建 "阿波罗"', msg_id="msg-stored")
    assert await rig.post_message(body) == 200
    assert await rig.app.inbox.pending() == 1
    assert rig.fake.sent_texts() == []
    await rig.settle()
    assert [p.name for p in await rig.rows(Project)] == ["阿波罗"]
    assert any("P1 阿波罗" in text for text in rig.fake.sent_texts())


async def test_a_duplicate_delivery_runs_once(rig: DingTalkRig) -> None:
    body = group_message('项目 新建 "阿波罗"', msg_id="msg-dup")
    assert await rig.post_message(body) == 200
    await rig.settle()
    assert await rig.post_message(body) == 200  # DingTalk's retry of the same msgId
    await rig.settle()
    assert [p.name for p in await rig.rows(Project)] == ["阿波罗"]
    assert len(rig.fake.sent_texts()) == 1
    [stored] = await rig.rows(InboundEvent)
    assert stored.event_id == "message:msg-dup"


async def test_forged_and_stale_signatures_are_rejected(rig: DingTalkRig) -> None:
    body = group_message('项目 新建 "伪造"', msg_id="msg-forged")
    forged = robot_headers(now_ms(), secret="guess")
    stale = robot_headers(now_ms() - 2 * HOUR_MS)
    for headers in (forged, stale, {}):
        assert await rig.post_message(body, headers=headers) == 401
    response = await rig.client.post(
        EVENTS_PATH, data=b"{not json", headers=robot_headers(now_ms())
    )
    assert response.status == 400
    await rig.settle()
    assert await rig.rows(InboundEvent) == []
    assert await rig.rows(Project) == []
    assert rig.fake.calls == []


def group_card(fake: FakeDingTalk) -> Call:
    return next(c for c in fake.named(CREATE_CARD) if "IM_GROUP" in c.body["openSpaceId"])


async def test_the_approver_clicks_the_card_and_it_is_updated(card_rig: DingTalkRig) -> None:
    step = await request_card(card_rig)
    created = card_rig.fake.named(CREATE_CARD)
    track = group_card(card_rig.fake).body["outTrackId"]
    assert card_chat(track) == (GROUP, False)
    assert group_card(card_rig.fake).body["callbackType"] == "HTTP"

    status = await card_rig.click(
        track, user="zhangwei", action="approval.approve", value=str(step.id)
    )

    assert status == 200
    puts = card_rig.fake.named(UPDATE_CARD, "PUT")
    assert {p.body["outTrackId"] for p in puts} == {c.body["outTrackId"] for c in created}
    assert all(p.body["cardData"]["cardParamMap"]["status"] == "closed" for p in puts)
    assert all("@zhangwei" in p.body["cardData"]["cardParamMap"]["content"] for p in puts)
    decided = next(s for s in await card_rig.rows(ApprovalStep) if s.id == step.id)
    assert decided.status == "approved"


async def test_someone_else_is_refused_privately_and_nothing_changes(
    card_rig: DingTalkRig,
) -> None:
    step = await request_card(card_rig)
    before = [s.model_dump() for s in await card_rig.rows(ApprovalStep)]
    singles = len(card_rig.fake.named(SINGLE_SEND))

    status = await card_rig.click(
        group_card(card_rig.fake).body["outTrackId"],
        user="lina",
        action="approval.approve",
        value=str(step.id),
    )

    assert status == 200
    assert card_rig.fake.named(UPDATE_CARD, "PUT") == []
    [refusal] = card_rig.fake.named(SINGLE_SEND)[singles:]
    assert refusal.body["userIds"] == ["lina"]
    text = json.loads(refusal.body["msgParam"])["text"]
    assert "只有" in text and not any("a" <= ch.lower() <= "z" for ch in text.replace("R1", ""))
    assert [s.model_dump() for s in await card_rig.rows(ApprovalStep)] == before


async def test_a_forged_card_callback_is_rejected(card_rig: DingTalkRig) -> None:
    step = await request_card(card_rig)
    track = group_card(card_rig.fake).body["outTrackId"]
    stored = len(await card_rig.rows(InboundEvent))
    forged = card_headers(now_ms(), secret="guess")
    stale = card_headers(now_ms() - 2 * HOUR_MS)
    for headers in (forged, stale, {}):
        status = await card_rig.click(
            track, user="zhangwei", action="approval.approve", value=str(step.id), headers=headers
        )
        assert status == 401
    assert len(await card_rig.rows(InboundEvent)) == stored
    assert next(s for s in await card_rig.rows(ApprovalStep) if s.id == step.id).status == "pending"


async def test_without_a_template_the_approver_types_the_command(rig: DingTalkRig) -> None:
    step = await request_card(rig)
    card = next(t for t in rig.fake.sent_texts() if "`@Concord 申请 R1 同意`" in t)
    assert "请在本群 @Concord 发送下面的命令" in card
    assert rig.fake.named(CREATE_CARD) == []

    # DingTalk strips "@Concord" from the text it delivers.
    assert await rig.say("申请 R1 同意", sender="zhangwei", nick="张伟") == 200

    decided = next(s for s in await rig.rows(ApprovalStep) if s.id == step.id)
    assert decided.status == "approved"
    assert any("✅ @zhangwei 已同意" in t for t in rig.fake.sent_texts())  # the card, posted anew


async def test_without_a_template_someone_else_typing_it_is_refused(rig: DingTalkRig) -> None:
    step = await request_card(rig)
    singles = len(rig.fake.named(SINGLE_SEND))
    assert await rig.say("申请 R1 同意", sender="lina", nick="李娜") == 200
    [refusal] = rig.fake.named(SINGLE_SEND)[singles:]
    assert refusal.body["userIds"] == ["lina"]
    assert next(s for s in await rig.rows(ApprovalStep) if s.id == step.id).status == "pending"


@asynccontextmanager
async def database_down(app: App) -> AsyncIterator[None]:
    """The inbox's database unreachable (connection refused), then back."""
    sessions, intake = app.inbox.sessions, app.inbox.intake_engine
    dead = db.create_engine(DEAD_DATABASE)
    app.inbox.sessions = db.session_factory(dead)
    if intake is not None:  # PostgreSQL stores through a pool of its own
        app.inbox.intake_engine = dead
    try:
        yield
    finally:
        app.inbox.sessions, app.inbox.intake_engine = sessions, intake
        await dead.dispose()


async def test_database_down_answers_non_2xx_so_dingtalk_retries(card_rig: DingTalkRig) -> None:
    step = await request_card(card_rig)
    track = group_card(card_rig.fake).body["outTrackId"]
    message = group_message('任务 新建 "写方案" 负责人:@王小丽', msg_id="msg-outage", at=ALICE)
    click = card_click(track, user="zhangwei", action="approval.approve", value=str(step.id))

    async with database_down(card_rig.app):
        assert await card_rig.post_message(message) == 503
        response = await card_rig.client.post(
            CARDS_PATH, data=json.dumps(click), headers=card_headers(now_ms())
        )
        assert response.status == 503
    await card_rig.settle()
    assert await card_rig.rows(Task) == []

    # DingTalk retries both; now they are stored and run.
    assert await card_rig.post_message(message) == 200
    response = await card_rig.client.post(
        CARDS_PATH, data=json.dumps(click), headers=card_headers(now_ms())
    )
    assert response.status == 200
    await card_rig.settle()
    assert [t.title for t in await card_rig.rows(Task)] == ["写方案"]
    assert next(s for s in await card_rig.rows(ApprovalStep) if s.id == step.id).status == (
        "approved"
    )


# --- Stream mode ---


def bot_frame(text: str, *, message_id: str, msg_id: str, at: Mentions = ()) -> dict:
    """The documented Stream frame of a robot message, carrying our group message."""
    frame = fixture("stream_frame_callback_bot_message.json")
    frame["headers"]["messageId"] = message_id
    frame["data"] = json.dumps(group_message(text, msg_id=msg_id, at=at), ensure_ascii=False)
    return frame


def card_frame(track: str, *, user: str, value: str) -> dict:
    frame = fixture("stream_frame_callback_bot_message.json")
    frame["headers"].update(topic="/v1.0/card/instances/callback", messageId="card-frame-1")
    frame["data"] = json.dumps(card_click(track, user=user, action="approval.approve", value=value))
    return frame


async def acks_of(fake: FakeDingTalk, count: int, connections: int = 1) -> dict[str, Any]:
    async with asyncio.timeout(10):
        await fake.wait_for_connections(connections)
        await fake.wait_for_acks(count)
    return {a["headers"]["messageId"]: a for a in fake.acks}


async def test_stream_mode_end_to_end_through_the_port(
    app: App, settings: Settings, fake: FakeDingTalk
) -> None:
    fake.connection_frames = [
        [
            bot_frame("部门 新建 研发部 部门负责人:@张伟", message_id="f1", msg_id="s1", at=ZHANG),
            fixture("stream_frame_system_ping.json"),
            fixture("stream_frame_system_disconnect.json"),
        ],
        [bot_frame('项目 新建 "阿波罗"', message_id="f2", msg_id="s2")],
    ]
    async with start_rig(app, settings, fake, mode="stream") as rig:
        acks = await acks_of(fake, 3, connections=2)
        await rig.settle()

        assert len(fake.named("/v1.0/gateway/connections/open")) == 2  # a new ticket each time
        assert (acks["f1"]["code"], json.loads(acks["f1"]["data"])) == (200, {"response": None})
        assert acks["f2"]["code"] == 200
        ping = acks["213d841d_972_1898bb26334_70a7"]
        documented = fixture("stream_ack_system_ping.json")
        assert json.loads(ping["data"]) == json.loads(documented["data"])
        assert [p.name for p in await rig.rows(Project)] == ["阿波罗"]
        texts = fake.sent_texts()
        assert any("研发部" in t for t in texts) and any("P1 阿波罗" in t for t in texts)


async def test_stream_card_click_by_the_approver_updates_the_card(
    app: App, settings: Settings, fake: FakeDingTalk
) -> None:
    async with start_rig(app, settings, fake, template=TEMPLATE, mode="stream") as rig:
        step = await request_card(rig)  # typed over HTTP: the cards exist before the click
        card = group_card(fake)
        assert card.body["callbackType"] == "STREAM"
        # The first connection opened with the rig, before there was a card to click.
        click = card_frame(card.body["outTrackId"], user="zhangwei", value=str(step.id))
        fake.connection_frames = [[], [click]]
        await rig.adapter.stop()
        await rig.adapter.start()
        acks = await acks_of(fake, 1, connections=2)
        await rig.settle()

        assert acks["card-frame-1"]["code"] == 200
        assert json.loads(acks["card-frame-1"]["data"]) == {"response": {}}
        puts = fake.named(UPDATE_CARD, "PUT")
        assert card.body["outTrackId"] in {p.body["outTrackId"] for p in puts}
        decided = next(s for s in await rig.rows(ApprovalStep) if s.id == step.id)
        assert decided.status == "approved"


async def test_stream_frames_that_cannot_be_stored_are_acked_with_an_error(
    app: App, settings: Settings, fake: FakeDingTalk
) -> None:
    fake.connection_frames = [[bot_frame('项目 新建 "阿波罗"', message_id="f1", msg_id="s1")]]
    async with database_down(app), start_rig(app, settings, fake, mode="stream"):
        acks = await acks_of(fake, 1)
    assert acks["f1"]["code"] == 500  # DingTalk pushes it again
    assert await app.inbox.pending() == 0


# --- concord serve ---


async def test_concord_serve_mounts_dingtalk_and_answers_on_its_own(
    app: App, settings: Settings, fake: FakeDingTalk
) -> None:
    """The composition root's server: the inbox workers and the delivery loop do the rest."""
    configure(settings, fake)
    server = await start_server(app, port=0)
    base = f"http://127.0.0.1:{server.port}"
    body = group_message('项目 新建 "阿波罗"', msg_id="msg-serve")
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(base + "/healthz") as health:
                assert (await health.json())["adapters"] == ["dingtalk"]
            async with client.post(
                base + EVENTS_PATH,
                data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers=robot_headers(now_ms()),
            ) as response:
                assert response.status == 200
        async with asyncio.timeout(10):
            await fake.wait_for_call("/v1.0/robot/groupMessages/send")
    finally:
        await server.service.stop()
    assert any("P1 阿波罗" in text for text in fake.sent_texts())

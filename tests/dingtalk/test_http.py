"""HTTP mode end to end, in Chinese: correctly signed requests built from the fixtures to
the adapter's aiohttp routes, the real dispatcher and database, and the fake OpenAPI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.dingtalk.adapter import CARDS_PATH, EVENTS_PATH, DingTalkAdapter
from adapters.dingtalk.inbound import card_chat
from bot.clock import ManualClock
from bot.main import App
from bot.settings import Settings
from storage.tables import ApprovalStep, Member, Project, Task
from tests.dingtalk.conftest import DirectInbox, dingtalk_settings, unpaced
from tests.dingtalk.fake_dingtalk import FakeDingTalk
from tests.dingtalk.helpers import card_headers, fixture, group_message, robot_headers
from tests.dingtalk.scenario import ALICE, LI, REQUEST, ZHANG

HOUR_MS = 3_600_000


class HttpRig:
    def __init__(
        self, app: App, fake: FakeDingTalk, client: TestClient[Any, Any], clock: ManualClock
    ) -> None:
        self.app = app
        self.fake = fake
        self.client = client
        self.clock = clock
        self.count = 0

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    async def post_message(self, body: dict, *, headers: dict[str, str] | None = None) -> int:
        response = await self.client.post(
            EVENTS_PATH,
            data=json.dumps(body),
            headers=robot_headers(self.now_ms()) if headers is None else headers,
        )
        return response.status

    async def say(
        self, text: str, *, sender: str = "alice01", nick: str = "王小丽", at: tuple = ()
    ) -> int:
        self.count += 1
        body = group_message(text, msg_id=f"msg-{self.count}", sender=sender, nick=nick, at=at)
        return await self.post_message(body)

    async def click(
        self, track_id: str, *, user: str, action: str, value: str, headers: dict | None = None
    ) -> tuple[int, dict]:
        body = fixture("card_callback_http_request.json")
        params = {"action": action, "value": value}
        body.update(outTrackId=track_id, userId=user)
        body["content"] = json.dumps({"cardPrivateData": {"actionIds": ["1"], "params": params}})
        response = await self.client.post(
            CARDS_PATH,
            data=json.dumps(body),
            headers=card_headers(self.now_ms()) if headers is None else headers,
        )
        return response.status, await response.json()

    async def rows(self, model: Any) -> list[Any]:
        from sqlmodel import select

        from storage.db import transaction

        async with transaction(self.app.sessions) as session:
            return list((await session.exec(select(model))).all())


async def make_rig(
    app: App, settings: Settings, fake: FakeDingTalk, clock: ManualClock, template: str
) -> AsyncIterator[HttpRig]:
    unpaced(settings)
    adapter = DingTalkAdapter(dingtalk_settings(fake, template=template), DirectInbox(app), clock)
    app.attach({"dingtalk": adapter.platform})
    web_app = web.Application()
    adapter.mount(web_app)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    yield HttpRig(app, fake, client, clock)
    await client.close()
    await adapter.stop()


@pytest.fixture
async def http(
    app: App, settings: Settings, fake: FakeDingTalk, clock: ManualClock
) -> AsyncIterator[HttpRig]:
    async for rig in make_rig(app, settings, fake, clock, ""):
        yield rig


@pytest.fixture
async def cards(
    app: App, settings: Settings, fake: FakeDingTalk, clock: ManualClock
) -> AsyncIterator[HttpRig]:
    async for rig in make_rig(app, settings, fake, clock, "concord_approval.schema"):
        yield rig


async def test_a_chinese_task_command_creates_the_task_and_replies(http: HttpRig) -> None:
    assert await http.say('项目 新建 "阿波罗"') == 200
    assert await http.say('任务 新建 "写方案" 负责人:@张伟 截止:D+2', at=ZHANG) == 200
    [task] = await http.rows(Task)
    assert task.title == "写方案"
    assert http.fake.sent_texts()[-1] == "已新建 **T1 写方案** —— 负责人 @zhangwei，截止 11-25。"
    members = {m.name for m in await http.rows(Member)}
    assert members == {"王小丽", "张伟"}  # the sender's nick, the mention's name


async def test_a_duplicate_delivery_runs_once(http: HttpRig) -> None:
    body = group_message('项目 新建 "阿波罗"', msg_id="msg-dup")
    assert await http.post_message(body) == 200
    assert await http.post_message(body) == 200
    assert [p.name for p in await http.rows(Project)] == ["阿波罗"]
    assert len(http.fake.sent_texts()) == 1


async def test_forged_and_stale_signatures_are_rejected(http: HttpRig) -> None:
    body = group_message('项目 新建 "伪造"', msg_id="msg-forged")
    assert (
        await http.post_message(body, headers=robot_headers(http.now_ms(), secret="guess")) == 401
    )
    assert await http.post_message(body, headers=robot_headers(http.now_ms() - 2 * HOUR_MS)) == 401
    assert await http.post_message(body, headers={}) == 401
    response = await http.client.post(
        EVENTS_PATH, data=b"{not json", headers=robot_headers(http.now_ms())
    )
    assert response.status == 400
    assert await http.rows(Project) == []
    assert http.fake.calls == []


async def prepare_request(rig: HttpRig) -> ApprovalStep:
    await rig.say("部门 新建 研发部 部门负责人:@张伟", at=ZHANG)
    await rig.say("部门 新建 行政部 部门负责人:@李娜", at=LI)
    await rig.say("成员 @王小丽 部门:研发部", at=ALICE)
    await rig.say('项目 新建 "阿波罗" 参与部门:研发部,行政部')
    await rig.say(REQUEST)
    return sorted(await rig.rows(ApprovalStep), key=lambda s: s.id)[0]


async def test_the_approver_clicks_the_card_and_it_is_updated(cards: HttpRig) -> None:
    step = await prepare_request(cards)
    created = cards.fake.named("/v1.0/card/instances/createAndDeliver")
    group = next(c for c in created if "IM_GROUP" in c.body["openSpaceId"])
    track = group.body["outTrackId"]
    assert card_chat(track) == ("cidAsXSBLnA==", False)

    status, _ = await cards.click(
        track, user="zhangwei", action="approval.approve", value=str(step.id)
    )

    assert status == 200
    puts = cards.fake.named("/v1.0/card/instances", "PUT")
    assert {p.body["outTrackId"] for p in puts} == {c.body["outTrackId"] for c in created}
    assert all(p.body["cardData"]["cardParamMap"]["status"] == "closed" for p in puts)
    decided = next(s for s in await cards.rows(ApprovalStep) if s.id == step.id)
    assert decided.status == "approved"


async def test_someone_else_is_refused_privately_and_nothing_changes(cards: HttpRig) -> None:
    step = await prepare_request(cards)
    group = next(
        c
        for c in cards.fake.named("/v1.0/card/instances/createAndDeliver")
        if "IM_GROUP" in c.body["openSpaceId"]
    )
    before = [s.model_dump() for s in await cards.rows(ApprovalStep)]
    singles = len(cards.fake.named("/v1.0/robot/oToMessages/batchSend"))

    status, _ = await cards.click(
        group.body["outTrackId"], user="lina", action="approval.approve", value=str(step.id)
    )

    assert status == 200
    assert cards.fake.named("/v1.0/card/instances", "PUT") == []
    [refusal] = cards.fake.named("/v1.0/robot/oToMessages/batchSend")[singles:]
    assert refusal.body["userIds"] == ["lina"]
    assert "只有" in json.loads(refusal.body["msgParam"])["text"]
    assert [s.model_dump() for s in await cards.rows(ApprovalStep)] == before


async def test_a_forged_card_callback_is_rejected(cards: HttpRig) -> None:
    step = await prepare_request(cards)
    group = next(
        c
        for c in cards.fake.named("/v1.0/card/instances/createAndDeliver")
        if "IM_GROUP" in c.body["openSpaceId"]
    )
    forged = card_headers(cards.now_ms(), secret="guess")
    stale = card_headers(cards.now_ms() - 2 * HOUR_MS)
    for headers in (forged, stale, {}):
        status, _ = await cards.click(
            group.body["outTrackId"],
            user="zhangwei",
            action="approval.approve",
            value=str(step.id),
            headers=headers,
        )
        assert status == 401
    assert next(s for s in await cards.rows(ApprovalStep) if s.id == step.id).status == "pending"


async def test_without_a_template_the_approver_types_the_command(http: HttpRig) -> None:
    step = await prepare_request(http)
    card = next(t for t in http.fake.sent_texts() if "`@Concord 申请 R1 同意`" in t)
    assert "请在本群 @Concord 发送下面的命令" in card
    assert http.fake.named("/v1.0/card/instances/createAndDeliver") == []

    # DingTalk strips "@Concord" from the text it delivers.
    assert await http.say("申请 R1 同意", sender="zhangwei", nick="张伟") == 200

    decided = next(s for s in await http.rows(ApprovalStep) if s.id == step.id)
    assert decided.status == "approved"
    assert any("✅ @zhangwei 已同意" in t for t in http.fake.sent_texts())  # the card, posted anew


async def test_stream_mode_takes_messages_and_card_clicks_from_the_gateway(
    app: App, settings: Settings, fake: FakeDingTalk, clock: ManualClock
) -> None:
    import asyncio

    unpaced(settings)
    frame = fixture("stream_frame_callback_bot_message.json")
    data = json.loads(frame["data"])
    data["text"]["content"] = ' 项目 新建 "阿波罗"'
    frame["data"] = json.dumps(data, ensure_ascii=False)
    fake.connection_frames = [[frame, fixture("stream_frame_system_ping.json")]]
    adapter = DingTalkAdapter(dingtalk_settings(fake, mode="stream"), DirectInbox(app), clock)
    app.attach({"dingtalk": adapter.platform})
    await adapter.start()
    try:
        async with asyncio.timeout(10):
            await fake.wait_for_acks(2)
    finally:
        await adapter.stop()
    assert {a["code"] for a in fake.acks} == {200}
    [project] = await HttpRig(app, fake, None, clock).rows(Project)  # type: ignore[arg-type]
    assert project.name == "阿波罗"
    assert any("P1 阿波罗" in t for t in fake.sent_texts())

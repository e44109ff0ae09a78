"""Issue #12 over the real adapters: Feishu and Slack side by side in one server, as
``concord serve`` builds it (``create_adapters`` on one web app), each against its local fake
(the real lark-oapi and slack_sdk clients pointed at them).

HQ is a Feishu group (zh-CN, Asia/Shanghai), sales a Slack channel (en, America/New_York),
one project. A task made in Feishu is on the Slack board; the overdue reminder reaches each
group at 09:00 its own time, in its language; a budget asked for in Slack is approved on the
Feishu card and the Slack card is edited; the digest reaches each group once, at its time.
Then Bob links his Slack and Feishu accounts with a code, and ``my`` and mentions are one
person on both platforms."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.feishu.adapter import FeishuAdapter
from adapters.feishu.settings import NAME as FEISHU
from adapters.feishu.settings import FeishuSettings
from adapters.http import make_web_app
from adapters.slack.adapter import SlackAdapter
from bot.dates.clock import ManualClock
from bot.main import App, create_adapters
from bot.settings import RateLimit, Settings
from storage.tables import ApprovalStep, CardRef, Chat, MemberIdentity
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.payloads import BOT, ENCRYPT_KEY, TOKEN
from tests.feishu.rig import GROUP, FeishuRig
from tests.scheduling import at, keys
from tests.slack.conftest import SlackRig, configure
from tests.slack.fake_slack import FakeSlack

NEW_YORK = ZoneInfo("America/New_York")
SALES = "C111"
JSON = dict[str, Any]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


class TwoPlatforms:
    """One Concord server with both adapters, and each platform's way of talking to it."""

    def __init__(self, app: App, feishu: FeishuRig, slack: SlackRig) -> None:
        self.app = app
        self.feishu = feishu
        self.slack = slack

    async def settle(self) -> None:
        await self.slack.adapter.handlers.idle()
        await self.feishu.settle()

    async def in_feishu(self, text: str, *, user: str = "ou_alice") -> None:
        assert await self.feishu.command(text, user=user) == 200
        await self.settle()

    async def in_slack(self, text: str, *, user: str = "U111") -> None:
        assert await self.slack.command(text, user=user, channel=SALES) == 200
        await self.settle()

    def feishu_texts(self, since: int = 0, *, to: str | None = None) -> list[str]:
        """What Concord posted into Feishu (text or card), as JSON text, oldest first."""
        return [
            json.dumps(c.content, ensure_ascii=False)
            for c in self.feishu.fake.posts()[since:]
            if to is None or c.body.get("receive_id") == to
        ]

    def slack_texts(self, since: int = 0, *, channel: str | None = None) -> list[str]:
        """What Concord posted into Slack (messages, ephemerals, edits), oldest first."""
        wanted = ("chat.postMessage", "chat.postEphemeral", "chat.update")
        calls = [c for c in self.slack.fake.calls if c.method in wanted][since:]
        return [
            json.dumps(c.body, ensure_ascii=False)
            for c in calls
            if channel is None or c.body.get("channel") == channel
        ]

    def counts(self) -> tuple[int, int]:
        wanted = ("chat.postMessage", "chat.postEphemeral", "chat.update")
        slack = len([c for c in self.slack.fake.calls if c.method in wanted])
        return len(self.feishu.fake.posts()), slack

    async def advance(self, clock: ManualClock, span: str) -> tuple[Posts, Posts]:
        """Run the scheduler over ``span``; what went to Feishu and to Slack meanwhile."""
        feishu, slack = self.counts()
        await self.app.advance(clock, span)
        await self.settle()
        return Posts(self.feishu_texts(feishu)), Posts(self.slack_texts(slack))


class Posts(list[str]):
    """Messages posted, each as JSON text."""

    def __contains__(self, text: object) -> bool:
        return any(str(text) in post for post in self)

    def count(self, text: object) -> int:
        """How many messages contain ``text``."""
        return sum(str(text) in post for post in self)


@contextlib.asynccontextmanager
async def serving(app: App, settings: Settings) -> AsyncIterator[TwoPlatforms]:
    feishu_fake = FakeFeishu(bot_open_id=BOT)
    feishu_fake.user("ou_alice", "王丽", time_zone="Asia/Shanghai")
    feishu_fake.user("ou_bob", "李博", time_zone="Asia/Shanghai")
    feishu_fake.user("ou_carol", "周卡", time_zone="Asia/Shanghai")
    slack_fake = FakeSlack()
    slack_fake.user("U111", "Mike Ross", tz="America/New_York")
    slack_fake.user("U222", "Bob Li", tz="America/New_York")
    await feishu_fake.start()
    await slack_fake.start()
    configure(settings, slack_fake)
    settings.adapters[FEISHU] = FeishuSettings(
        enabled=True,
        # lark-oapi caches tenant tokens by app id, process-wide: one of its own.
        app_id=f"cli_xplat{uuid.uuid4().hex[:8]}",
        app_secret="secret",
        verification_token=TOKEN,
        encrypt_key=ENCRYPT_KEY,
        domain=feishu_fake.domain,
    )
    settings.delivery.feishu = RateLimit(0.0, 0, 0.0, 0)
    web_app = make_web_app(app.health)
    adapters = create_adapters(app, web_app)
    by_type = {type(a): a for a in adapters}
    feishu_adapter, slack_adapter = by_type[FeishuAdapter], by_type[SlackAdapter]
    assert isinstance(feishu_adapter, FeishuAdapter) and isinstance(slack_adapter, SlackAdapter)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    for adapter in adapters:
        await adapter.start()
    app.inbox.start()
    try:
        yield TwoPlatforms(
            app,
            FeishuRig(app, feishu_fake, client, feishu_adapter),
            SlackRig(app, slack_fake, client, slack_adapter),
        )
    finally:
        for adapter in adapters:
            await adapter.stop()
        await app.inbox.stop()
        await client.close()
        await slack_fake.stop()
        await feishu_fake.stop()


@pytest.fixture
async def both(app: App, settings: Settings) -> AsyncIterator[TwoPlatforms]:
    async with serving(app, settings) as made:
        yield made


async def bind_both(both: TwoPlatforms) -> None:
    await both.in_feishu("部门 新建 财务部 领导:<@ou_bob>")
    await both.in_feishu('项目 新建 "出海计划" 参与部门:总部,财务部')
    await both.in_slack("settings locale:en tz:America/New_York")
    await both.in_slack("dept add Sales leader:<@U111>")
    await both.in_slack("project bind P1")


async def test_one_project_on_feishu_and_slack_through_the_real_adapters(
    both: TwoPlatforms, app: App, clock: ManualClock
) -> None:
    await bind_both(both)
    await both.in_feishu("任务 新建 展会物料 负责人:<@ou_carol> 截止:11-24")
    since = both.counts()[1]
    await both.in_slack("board")
    assert any("T1 展会物料" in text and "due 11-24" in text for text in both.slack_texts(since))

    # 09:00 Thursday in Shanghai: the Feishu group, in Chinese; Slack not yet.
    to_feishu, to_slack = await both.advance(clock, "3d")
    assert "已逾期 2 天（截止 11-24）" in to_feishu
    assert "is overdue" not in to_slack
    # 09:00 Thursday in New York: the Slack channel, in English.
    to_feishu, to_slack = await both.advance(clock, "13h")
    assert "T1 展会物料* is overdue by 2d (due 11-24)" in to_slack
    assert "已逾期" not in to_feishu
    chats = {c.external_id: c.id for c in await both.feishu.rows(Chat)}
    overdue = {k.rsplit(":", 1)[-1]: v for k, v in (await keys(app, "task:1:overdue:")).items()}
    assert overdue[str(chats[GROUP])] == at("2026-11-26 09:00")
    assert overdue[str(chats[SALES])] == at("2026-11-26 09:00", NEW_YORK)

    # A budget asked for in Slack, approved by the Feishu approver on the Feishu card.
    await both.in_slack(
        'request new budget "Trade fair booth" amount:3000 from:12-01 to:12-05 '
        'purpose:"booth" return:"receipts"'
    )
    step = max(await both.feishu.rows(ApprovalStep), key=lambda s: s.id or 0)
    refs = {(r.platform, r.chat_external_id): r.message_id for r in await both.feishu.rows(CardRef)}
    slack_card = refs[("slack", SALES)]
    status, answer = await both.feishu.click(
        user="ou_bob",
        action="approval.approve",
        value=str(step.id),
        message_id=refs[("feishu", GROUP)],
    )
    await both.settle()
    assert status == 200 and "已同意" in json.dumps(answer, ensure_ascii=False)
    edits = [c for c in both.slack.fake.named("chat.update") if c.body["ts"] == slack_card]
    assert edits and "Approved by" in json.dumps(edits[-1].body, ensure_ascii=False)
    assert "approval.approve" not in json.dumps(edits[-1].body)

    # The digest: Friday 15:00 in Shanghai, then Friday 15:00 in New York, once each.
    to_feishu, to_slack = await both.advance(clock, "17h")
    assert to_feishu.count("周报 — P1 出海计划") == 1 and "Weekly digest" not in to_slack
    to_feishu, to_slack = await both.advance(clock, "13h")
    assert to_slack.count("Weekly digest — P1 出海计划") == 1 and "周报 —" not in to_feishu
    to_feishu, to_slack = await both.advance(clock, "5d")
    assert "周报 —" not in to_feishu and "Weekly digest" not in to_slack


CODE = re.compile(r"([A-Z2-9]{4}-[A-Z2-9]{4})")


async def test_bob_links_his_slack_and_feishu_accounts(both: TwoPlatforms, app: App) -> None:
    await bind_both(both)
    await both.in_slack('task add "Visit list" owner:<@U222> due:12-04', user="U222")
    await both.in_feishu("任务 新建 报价单 负责人:<@ou_bob> 截止:12-01")

    since = both.counts()[1]
    await both.in_slack("member link", user="U222")
    private = [c for c in both.slack.fake.named("chat.postEphemeral") if c.body["user"] == "U222"]
    found = CODE.search(json.dumps(private[-1].body))
    assert found, private[-1].body
    assert both.slack_texts(since, channel=SALES) == [
        json.dumps(private[-1].body, ensure_ascii=False)
    ]

    before = len(both.feishu.fake.posts())
    await both.in_feishu("member link ZZZZ-2222", user="ou_bob")
    assert any("验证码错误或已过期" in text for text in both.feishu_texts(before))
    await both.in_feishu(f"member link {found.group(1)}", user="ou_bob")
    assert any("已关联" in text for text in both.feishu_texts(before))
    identities = await both.feishu.rows(MemberIdentity)
    owner = {i.member_id for i in identities if i.external_id in ("U222", "ou_bob")}
    assert len(owner) == 1

    # ``my`` is the same on both: each platform answers privately (Slack ephemeral, Feishu DM).
    since = both.counts()[1]
    await both.in_slack("my", user="U222")
    slack_my = " ".join(both.slack_texts(since))
    before = len(both.feishu.fake.posts())
    await both.in_feishu("我的", user="ou_bob")
    feishu_my = " ".join(both.feishu_texts(before))
    for text in (slack_my, feishu_my):
        assert "Visit list" in text and "报价单" in text, text

    # Mentions both ways: Slack names him <@U222>, Feishu <at id=ou_bob>.
    since = both.counts()[1]
    await both.in_feishu("任务 T1 开始", user="ou_bob")
    await both.in_slack("task T1", user="U111")
    assert "<@U222>" in " ".join(both.slack_texts(since))
    before = len(both.feishu.fake.posts())
    await both.in_slack("task T2 start", user="U222")
    await both.in_feishu("任务 T2", user="ou_alice")
    assert "<at id=ou_bob></at>" in " ".join(both.feishu_texts(before))  # a card's mention

"""Delivery through the fake OpenAPI: the app token, group/single sends, cards, the
sessionWebhook, and DingTalk's rate limits as PlatformError(retry_after=…)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from adapters.dingtalk.openapi import OpenApi, api_error
from adapters.dingtalk.platform import DingTalkPlatform, SessionWebhooks
from bot.dates.clock import ManualClock
from bot.outbound.platform import PlatformError
from bot.text.messages import Actions, Button, Header, Mention, Message, Section, Target
from storage.tables import Outbox
from tests.dingtalk.conftest import DingTalkRig, dingtalk_settings
from tests.dingtalk.fake_dingtalk import FakeDingTalk
from tests.dingtalk.helpers import APP_KEY, APP_SECRET, GROUP, fixture

GROUP_SEND = "/v1.0/robot/groupMessages/send"
SINGLE_SEND = "/v1.0/robot/oToMessages/batchSend"
HELLO = Message((Section("你好 <@m:7>"),), (Mention(7, "张伟", {"dingtalk": "zhangwei"}),))
CARD = Message(
    (Header("审批 · R1"), Actions((Button("同意", "approval.approve", "4", "primary"),))),
    card_key="approval:4",
)


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def platform_for(
    fake: FakeDingTalk, *, template: str = "", clock: Seconds | None = None
) -> DingTalkPlatform:
    api = OpenApi(
        base_url=fake.base_url, app_key=APP_KEY, app_secret=APP_SECRET, monotonic=clock or Seconds()
    )
    return DingTalkPlatform(api, dingtalk_settings(fake, template=template))


async def test_the_token_is_cached_and_refreshed_before_it_expires(fake: FakeDingTalk) -> None:
    clock = Seconds()
    platform = platform_for(fake, clock=clock)
    await platform.send(Target("dingtalk", GROUP), HELLO)
    clock.now += 7200 - 301
    await platform.send(Target("dingtalk", GROUP), HELLO)
    assert len(fake.named("/v1.0/oauth2/accessToken")) == 1
    clock.now += 2  # within five minutes of expiry: fetch a new one first
    await platform.send(Target("dingtalk", GROUP), HELLO)
    assert len(fake.named("/v1.0/oauth2/accessToken")) == 2
    tokens = [c.headers["x-acs-dingtalk-access-token"] for c in fake.named(GROUP_SEND)]
    assert tokens == ["tok-1", "tok-1", "tok-2"]


async def test_a_rejected_token_is_fetched_again_on_the_next_try(fake: FakeDingTalk) -> None:
    platform = platform_for(fake)
    await platform.send(Target("dingtalk", GROUP), HELLO)
    fake.valid_tokens.clear()  # the app secret was reset
    with pytest.raises(PlatformError) as refused:
        await platform.send(Target("dingtalk", GROUP), HELLO)
    assert not refused.value.permanent
    await platform.send(Target("dingtalk", GROUP), HELLO)
    assert len(fake.named("/v1.0/oauth2/accessToken")) == 2


async def test_group_and_single_chat_sends(fake: FakeDingTalk) -> None:
    platform = platform_for(fake)
    group_id = await platform.send(Target("dingtalk", GROUP), HELLO)
    await platform.send(Target("dingtalk", "zhangwei", is_direct=True), HELLO)
    await platform.send_ephemeral(Target("dingtalk", GROUP), "lina", HELLO)
    [group] = fake.named(GROUP_SEND)
    assert group_id == "msg:" + group.response["processQueryKey"]
    assert group.body["openConversationId"] == GROUP
    assert (group.body["robotCode"], group.body["msgKey"]) == (APP_KEY, "sampleMarkdown")
    assert json.loads(group.body["msgParam"]) == {"title": "你好 @张伟", "text": "你好 @zhangwei"}
    singles = fake.named(SINGLE_SEND)
    assert [s.body["userIds"] for s in singles] == [["zhangwei"], ["lina"]]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "message": "qps"}),
        (403, {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "qps"}),
        (200, {"errcode": 90018, "errmsg": "qps"}),
        (200, {"errcode": 90002, "errmsg": "qps"}),
    ],
)
async def test_rate_limits_say_when_to_retry(fake: FakeDingTalk, status: int, body: dict) -> None:
    fake.fail(GROUP_SEND, status=status, **body)
    platform = platform_for(fake)
    with pytest.raises(PlatformError) as limited:
        await platform.send(Target("dingtalk", GROUP), HELLO)
    assert limited.value.retry_after == 1.0
    assert not limited.value.permanent
    assert "rate limit" in str(limited.value)


def test_other_errors_are_permanent_or_retried() -> None:
    bad = api_error(400, {"code": "invalidParameter.robotCode.notExist", "message": "robot"})
    quota = api_error(403, {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"})
    down = api_error(503, {})
    assert bad is not None and bad.permanent
    assert quota is not None and quota.retry_after == 3600.0
    assert down is not None and not down.permanent and down.retry_after is None
    assert api_error(200, {"processQueryKey": "k"}) is None


async def test_the_outbox_retries_a_qps_limit_once_after_the_wait(
    rig: DingTalkRig, clock: ManualClock
) -> None:
    await rig.say('项目 新建 "阿波罗"')
    rig.fake.fail(GROUP_SEND, status=403, code="Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")

    await rig.say('任务 新建 "写方案"')
    [row] = [r for r in await rig.rows(Outbox) if r.status == "pending"]
    assert row.next_attempt_at - row.created_at >= timedelta(seconds=1)
    assert "rate limit" in (row.last_error or "")

    assert await rig.app.deliver() == 0  # not yet
    clock.advance(timedelta(seconds=1))
    assert await rig.app.deliver() == 1
    attempts = [c for c in rig.fake.named(GROUP_SEND) if "T1" in c.body["msgParam"]]
    assert len(attempts) == 2  # the refused one and the delivery
    [sent] = [r for r in await rig.rows(Outbox) if r.id == row.id]
    assert sent.status == "sent"


async def test_cards_are_created_once_per_outbox_row_and_updated_for_everyone(
    fake: FakeDingTalk,
) -> None:
    platform = platform_for(fake, template="tpl.schema")
    target = Target("dingtalk", GROUP, idempotency_key="outbox:9")
    card_id = await platform.send(target, CARD)
    await platform.send(Target("dingtalk", "zhangwei", idempotency_key="outbox:10"), CARD)
    decided = Message((Header("审批 · R1"), Section("✅ 已同意")), card_key="approval:4")
    await platform.update(target, card_id, decided)
    group, single = fake.named("/v1.0/card/instances/createAndDeliver")
    assert card_id == "card:" + group.body["outTrackId"]
    assert group.body["outTrackId"].startswith("concord.outbox-9.g.")
    assert group.body["callbackType"] == "HTTP"
    assert single.body["openSpaceId"] == "dtv1.card//IM_ROBOT.zhangwei"
    assert single.body["imRobotOpenDeliverModel"] == {"spaceType": "IM_ROBOT", "robotCode": APP_KEY}
    [put] = fake.named("/v1.0/card/instances", "PUT")
    assert put.body["outTrackId"] == group.body["outTrackId"]
    assert put.body["cardData"]["cardParamMap"]["status"] == "closed"
    assert put.body["cardUpdateOptions"] == {"updateCardDataByKey": True}


async def test_a_markdown_card_cannot_be_edited_so_its_new_state_is_posted(
    fake: FakeDingTalk,
) -> None:
    platform = platform_for(fake)
    message_id = await platform.send(Target("dingtalk", GROUP), CARD)
    await platform.update(Target("dingtalk", GROUP), message_id, HELLO)
    assert len(fake.named(GROUP_SEND)) == 2
    assert fake.named("/v1.0/card/instances", "PUT") == []


def webhook_message(fake: FakeDingTalk, *, expires_ms: int) -> dict:
    body = fixture("robot_message_group_at_text.json")
    body["sessionWebhookExpiredTime"] = expires_ms
    return body


async def test_a_live_session_webhook_carries_the_mentions(fake: FakeDingTalk) -> None:
    now = 1_700_000_000_000
    webhooks = SessionWebhooks(fake.base_url, now_ms=lambda: now)
    webhooks.remember(webhook_message(fake, expires_ms=now + 3_600_000))
    fake.webhook_answers.append({"errcode": 0, "errmsg": "ok"})
    settings = dingtalk_settings(fake)
    api = OpenApi(base_url=fake.base_url, app_key=APP_KEY, app_secret=APP_SECRET)
    platform = DingTalkPlatform(api, settings, webhooks)
    await platform.send(Target("dingtalk", GROUP), HELLO)
    fake.webhook_answers.append({"errcode": 300001, "errmsg": "session expired"})
    await platform.send(Target("dingtalk", GROUP), HELLO)  # refused: the OpenAPI instead
    await platform.send(Target("dingtalk", GROUP), HELLO)  # forgotten: straight to it
    hooks = fake.named("/robot/sendBySession")
    assert len(hooks) == 2
    assert hooks[0].query == {"session": "76da36b4**********8f59e8"}
    assert hooks[0].body == {
        "msgtype": "markdown",
        "markdown": {"title": "你好 @张伟", "text": "你好 @zhangwei"},
        "at": {"atUserIds": ["zhangwei"], "isAtAll": False},
    }
    assert len(fake.named(GROUP_SEND)) == 2


def test_only_fresh_webhooks_of_groups_on_the_oapi_host_are_kept() -> None:
    now = 1_700_000_000_000
    hooks = SessionWebhooks("http://127.0.0.1:1", now_ms=lambda: now)
    body = fixture("robot_message_group_at_text.json")
    body["sessionWebhookExpiredTime"] = now + 30_000  # about to expire
    hooks.remember(body)
    assert hooks.live(GROUP) is None
    body["sessionWebhookExpiredTime"] = now + 3_600_000
    hooks.remember(body)
    assert (
        hooks.live(GROUP)
        == "http://127.0.0.1:1/robot/sendBySession?session=76da36b4**********8f59e8"
    )
    elsewhere = fixture("robot_message_group_at_text.json")
    elsewhere.update(conversationId="cidOther", sessionWebhook="https://evil.example/hook?x=1")
    elsewhere["sessionWebhookExpiredTime"] = now + 3_600_000
    hooks.remember(elsewhere)
    assert hooks.live("cidOther") is None
    single = fixture("robot_message_p2p_text.json")
    single["sessionWebhookExpiredTime"] = now + 3_600_000
    hooks.remember(single)
    assert hooks.live(single["conversationId"]) is None

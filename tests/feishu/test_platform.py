"""The Feishu platform against the fake OpenAPI, through the real lark-oapi client: where
messages go, the tenant token, card updates, idempotency keys and error mapping."""

from __future__ import annotations

import pytest

from adapters.feishu.platform import FeishuPlatform, api_client
from adapters.feishu.settings import FeishuSettings
from bot.outbound.platform import PlatformError
from bot.text.messages import Actions, Button, Header, Message, Section, Target
from tests.feishu.fake_feishu import TOKEN, FakeFeishu
from tests.feishu.payloads import FIXTURES

CARD = Message((Header("卡片"), Actions((Button("同意", "a.b", "1", "primary"),))), card_key="k")
TEXT = Message((Section("好的"),))


@pytest.fixture
def platform(feishu_settings: FeishuSettings) -> FeishuPlatform:
    return FeishuPlatform(api_client(feishu_settings))


async def test_send_to_a_chat_with_the_outbox_key_as_uuid(
    platform: FeishuPlatform, fake: FakeFeishu
) -> None:
    target = Target("feishu", "oc_group", idempotency_key="outbox:41")
    message_id = await platform.send(target, CARD)
    [post] = fake.posts()
    assert message_id == post.response["data"]["message_id"]
    assert post.query == {"receive_id_type": "chat_id"}
    assert post.body["receive_id"] == "oc_group"
    assert (post.body["msg_type"], post.body["uuid"]) == ("interactive", "outbox:41")
    assert post.content["header"]["title"]["content"] == "卡片"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_the_tenant_token_is_fetched_once_and_cached(
    platform: FeishuPlatform, fake: FakeFeishu, feishu_settings: FeishuSettings
) -> None:
    for _ in range(3):
        await platform.send(Target("feishu", "oc_group"), TEXT)
    [token] = fake.named("token")
    assert token.body == {"app_id": feishu_settings.app_id, "app_secret": "secret"}


async def test_an_invalid_token_is_forgotten_and_fetched_again(
    platform: FeishuPlatform, fake: FakeFeishu
) -> None:
    await platform.send(Target("feishu", "oc_group"), TEXT)
    fake.fail("messages.create", status=400, code=99991663, msg="token invalid")
    with pytest.raises(PlatformError) as caught:
        await platform.send(Target("feishu", "oc_group"), TEXT)
    assert not caught.value.permanent
    await platform.send(Target("feishu", "oc_group"), TEXT)
    assert len(fake.named("token")) == 2


async def test_a_reply_goes_into_the_items_thread(
    platform: FeishuPlatform, fake: FakeFeishu
) -> None:
    await platform.send(
        Target("feishu", "oc_group", thread_id="om_root", idempotency_key="outbox:7"), TEXT
    )
    [reply] = fake.posts()
    assert reply.path == "/open-apis/im/v1/messages/om_root/reply"
    assert reply.body["reply_in_thread"] is True
    assert reply.body["uuid"] == "outbox:7"
    assert reply.content == {"text": "好的"}


async def test_a_dm_by_open_id_and_ephemeral_replies_go_privately(
    platform: FeishuPlatform, fake: FakeFeishu
) -> None:
    await platform.send(Target("feishu", "ou_bob", is_direct=True), TEXT)
    await platform.send_ephemeral(Target("feishu", "oc_group"), "ou_carol", TEXT)
    await platform.send_ephemeral(Target("feishu", "oc_p2p", is_direct=True), "ou_bob", TEXT)
    first, second, third = fake.posts()
    assert (first.query["receive_id_type"], first.body["receive_id"]) == ("open_id", "ou_bob")
    assert (second.query["receive_id_type"], second.body["receive_id"]) == ("open_id", "ou_carol")
    assert (third.query["receive_id_type"], third.body["receive_id"]) == ("chat_id", "oc_p2p")


async def test_update_patches_the_whole_card(platform: FeishuPlatform, fake: FakeFeishu) -> None:
    message_id = await platform.send(Target("feishu", "oc_group"), CARD)
    done = Message((Header("卡片"), Section("✅ 已同意")), card_key="k")
    await platform.update(Target("feishu", "oc_group"), message_id, done)
    [patch] = fake.named("messages.patch")
    assert patch.path == f"/open-apis/im/v1/messages/{message_id}"
    assert patch.content["header"]["template"] == "green"
    assert patch.content["config"]["update_multi"] is True


async def test_429_carries_the_reset_as_retry_after(
    platform: FeishuPlatform, fake: FakeFeishu
) -> None:
    sample = (FIXTURES / "rate_limit_429.http.txt").read_text(encoding="utf-8")
    assert "x-ogw-ratelimit-reset: 52" in sample
    fake.fail(
        "messages.create", status=429, x_ogw_ratelimit_reset="52", x_ogw_ratelimit_limit="100"
    )
    with pytest.raises(PlatformError) as caught:
        await platform.send(Target("feishu", "oc_group"), TEXT)
    assert caught.value.retry_after == 52.0
    fake.fail("messages.create", status=400, x_ogw_ratelimit_reset="3")  # older APIs: 400
    with pytest.raises(PlatformError) as caught:
        await platform.send(Target("feishu", "oc_group"), TEXT)
    assert caught.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("code", "permanent"), [(230002, True), (230013, True), (230099, True), (1500, False)]
)
async def test_business_errors_map_to_permanent_or_not(
    platform: FeishuPlatform, fake: FakeFeishu, code: int, permanent: bool
) -> None:
    fake.fail("messages.create", status=400, code=code, msg="nope")
    with pytest.raises(PlatformError) as caught:
        await platform.send(Target("feishu", "oc_group"), TEXT)
    assert caught.value.permanent is permanent
    assert caught.value.retry_after is None


async def test_unreachable_feishu_is_a_transient_error(feishu_settings: FeishuSettings) -> None:
    feishu_settings.domain = "http://127.0.0.1:9"
    with pytest.raises(PlatformError) as caught:
        await FeishuPlatform(api_client(feishu_settings)).send(Target("feishu", "oc_g"), TEXT)
    assert not caught.value.permanent


async def test_the_bots_own_open_id(platform: FeishuPlatform, fake: FakeFeishu) -> None:
    assert await platform.bot_open_id() == fake.bot_open_id
    [info] = fake.named("bot.info")
    assert info.headers["Authorization"] == f"Bearer {TOKEN}"

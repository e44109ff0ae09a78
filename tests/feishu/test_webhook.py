"""End to end over ``POST /feishu/events``: signed, AES-encrypted deliveries built from the
recorded Feishu payloads, run by the inbox's workers, answered in Chinese through the real
lark-oapi client to the fake OpenAPI."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.feishu.adapter import FeishuAdapter
from adapters.feishu.settings import FeishuSettings
from bot.dates.clock import ManualClock
from bot.errors import ConfigError
from bot.main import App, build_app
from bot.settings import Settings
from storage.tables import ApprovalStep, CardRef, InboundEvent, Member, Task
from tests.feishu.conftest import running
from tests.feishu.fake_feishu import Call, FakeFeishu
from tests.feishu.payloads import ENCRYPT_KEY, TOKEN, card_action, encrypt, fixture
from tests.feishu.rig import GROUP, FeishuRig, group_message

# 王丽 (ou_alice, 研发部) asks; 李博 (ou_bob) leads 研发部; 周卡 (ou_carol) leads 行政部,
# which owns the material.
SETUP = (
    "部门 新建 研发部 部门负责人:<@ou_bob>",
    "部门 新建 行政部 部门负责人:<@ou_carol>",
    "成员 <@ou_alice> 部门:研发部",
    '项目 新建 "Apollo" 部门:研发部,行政部',
)
REQUEST = (
    '申请 新建 物料 "活动展架 2 个" 从:2026-12-01 至:2026-12-05 '
    '用途:"618大促活动支持" 归还:"归还行政部" 部门:行政部'
)
CJK = re.compile(r"[\u4e00-\u9fff]")
NEW_TASK = '任务 新建 "写需求文档" 负责人:<@ou_bob> 截止:2026-12-10'


async def prepare(rig: FeishuRig) -> None:
    for line in SETUP:
        assert await rig.command(line) == 200


def texts(calls: list[Call]) -> list[str]:
    """What each sent message says (text messages and cards alike)."""
    return [json.dumps(c.content, ensure_ascii=False) for c in calls]


def has_ascii_word(text: str) -> bool:
    """A toast is one short sentence: in Chinese it has no English word (but the name)."""
    words = re.findall(r"[A-Za-z]{3,}", text)
    return any(word != "Concord" for word in words)


# --- commands in Chinese ---


async def test_a_chinese_command_creates_a_task_and_the_reply_reaches_feishu(
    rig: FeishuRig,
) -> None:
    await prepare(rig)
    before = len(rig.fake.posts())

    assert await rig.command(NEW_TASK) == 200

    [task] = await rig.rows(Task)
    assert task.title == "写需求文档"
    [reply] = rig.posts_since(before)
    assert (reply.body["receive_id"], reply.query["receive_id_type"]) == (GROUP, "chat_id")
    assert reply.body["uuid"].startswith("outbox:")
    said = texts([reply])[0]
    assert "T1" in said and "写需求文档" in said
    assert "<at id=ou_bob></at>" in said or 'user_id=\\"ou_bob\\"' in said


async def test_a_command_in_a_thread_is_answered_in_that_thread(rig: FeishuRig) -> None:
    await prepare(rig)
    before = len(rig.fake.posts())
    await rig.command("看板", root_id="om_root")
    [reply] = rig.posts_since(before)
    assert (reply.route, reply.body.get("reply_in_thread")) == ("messages.reply", True)
    assert reply.path == "/open-apis/im/v1/messages/om_root/reply"


async def test_help_and_errors_go_to_the_sender_privately_in_chinese(rig: FeishuRig) -> None:
    await rig.command("帮助")
    await rig.command("任务 新建")  # no title: refused
    answers = rig.fake.posts()
    assert [(a.body["receive_id"], a.query["receive_id_type"]) for a in answers] == [
        ("ou_alice", "open_id")
    ] * 2
    help_card, error = answers
    assert help_card.content["header"]["title"]["content"] == "Concord 命令"
    assert "查看详细用法" in json.dumps(help_card.content, ensure_ascii=False)
    refusal = json.dumps(error.content, ensure_ascii=False)
    assert CJK.search(refusal), refusal


async def test_a_new_sender_becomes_a_member_with_the_contact_apis_name_and_zone(
    rig: FeishuRig,
) -> None:
    await rig.command("帮助", user="ou_bob")
    [bob] = [m for m in await rig.rows(Member) if m.name == "李博"]
    assert bob.timezone == "America/Los_Angeles"
    lookups = rig.fake.named("users.get")
    await rig.command("帮助", user="ou_bob")
    assert rig.fake.named("users.get") == lookups  # refreshed at most daily


# --- the approval card ---


async def approval_card(rig: FeishuRig) -> tuple[ApprovalStep, Call]:
    await prepare(rig)
    await rig.command(REQUEST)
    step = min(await rig.rows(ApprovalStep), key=lambda s: s.id)
    cards = [
        p
        for p in rig.fake.posts()
        if p.body["msg_type"] == "interactive" and f'"value": "{step.id}"' in p.body["content"]
    ]
    [group_card] = [c for c in cards if c.body["receive_id"] == GROUP]
    return step, group_card


async def test_the_approvers_click_updates_the_card_for_everyone(rig: FeishuRig) -> None:
    step, group_card = await approval_card(rig)
    message_id = group_card.response["data"]["message_id"]
    refs = {r.chat_external_id: r.message_id for r in await rig.rows(CardRef)}
    assert refs[GROUP] == message_id
    posted = len(rig.fake.posts())

    status, answer = await rig.click(
        user="ou_bob", action="approval.approve", value=str(step.id), message_id=message_id
    )

    assert status == 200
    # The clicker sees the new card at once, in the callback answer …
    assert answer["card"]["type"] == "raw"
    new_card = answer["card"]["data"]
    assert new_card["header"]["template"] == "green"
    assert "callback" not in json.dumps(new_card)  # decided: no buttons left
    assert answer["toast"]["type"] == "info"
    assert not has_ascii_word(answer["toast"]["content"])
    decided = next(s for s in await rig.rows(ApprovalStep) if s.id == step.id)
    assert decided.status == "approved"
    # … and everyone else when the outbox PATCHes every copy of the shared card.
    patches = {c.path.rsplit("/", 1)[1]: c for c in rig.fake.named("messages.patch")}
    assert set(patches) == {refs[GROUP], refs["ou_bob"]}
    assert json.loads(patches[message_id].body["content"]) == new_card
    # The next step's card goes to its approver.
    assert any(p.body["receive_id"] == "ou_carol" for p in rig.posts_since(posted))


async def test_the_approver_may_click_the_copy_in_their_direct_chat(rig: FeishuRig) -> None:
    step, _ = await approval_card(rig)
    refs = {r.chat_external_id: r.message_id for r in await rig.rows(CardRef)}
    # Feishu names the direct chat by its own id (oc_…), not by the person's open_id.
    status, answer = await rig.click(
        user="ou_bob",
        action="approval.approve",
        value=str(step.id),
        message_id=refs["ou_bob"],
        chat="oc_p2p_bob",
    )
    assert status == 200
    assert answer["card"]["data"]["header"]["template"] == "green"
    patched = {c.path.rsplit("/", 1)[1] for c in rig.fake.named("messages.patch")}
    assert patched == {refs[GROUP], refs["ou_bob"]}


async def test_someone_elses_click_gets_a_toast_and_nothing_changes(
    rig: FeishuRig, clock: ManualClock
) -> None:
    step, group_card = await approval_card(rig)
    before = [s.model_dump() for s in await rig.rows(ApprovalStep)]
    posted = len(rig.fake.posts())

    status, answer = await rig.click(
        user="ou_carol",
        action="approval.approve",
        value=str(step.id),
        message_id=group_card.response["data"]["message_id"],
    )

    assert status == 200
    assert "card" not in answer
    assert answer["toast"]["type"] == "error"
    assert "李博" in answer["toast"]["content"] or "审批" in answer["toast"]["content"]
    assert not has_ascii_word(answer["toast"]["content"])
    clock.advance(timedelta(seconds=rig.app.settings.inbox.answer_hold_seconds + 1))
    await rig.settle()
    assert rig.fake.named("messages.patch") == []
    assert rig.posts_since(posted) == []  # the refusal was the toast, not a DM as well
    assert [s.model_dump() for s in await rig.rows(ApprovalStep)] == before


async def test_a_click_on_a_foreign_button_is_acknowledged_and_ignored(rig: FeishuRig) -> None:
    status, answer = await rig.post(fixture("card_action_trigger.json"))
    # The documented sample is signed with another app's token: refused before anything.
    assert status == 401
    payload = fixture("card_action_trigger.json")
    payload["header"]["token"] = TOKEN
    status, answer = await rig.post(payload)
    assert (status, answer) == (200, {})
    assert await rig.rows(InboundEvent) == []


# --- delivery semantics ---


async def test_a_duplicated_delivery_runs_once(rig: FeishuRig) -> None:
    await prepare(rig)
    before = len(rig.fake.posts())
    first = group_message(NEW_TASK, sender="ou_alice")
    again = json.loads(json.dumps(first))
    again["header"]["event_id"] = "ev-redelivered"  # Feishu re-pushes under a new event id

    assert (await rig.post(first))[0] == 200
    assert (await rig.post(again))[0] == 200
    assert (await rig.post(first))[0] == 200
    await rig.settle()

    assert len(await rig.rows(Task)) == 1
    assert len(rig.posts_since(before)) == 1


async def test_a_429_is_retried_once_after_the_reset(rig: FeishuRig, clock: ManualClock) -> None:
    await prepare(rig)
    before = len(rig.fake.posts())
    rig.fake.fail("messages.create", status=429, x_ogw_ratelimit_reset="52")

    await rig.command(NEW_TASK)
    [refused] = rig.posts_since(before)
    clock.advance(timedelta(seconds=51))
    await rig.settle()
    assert len(rig.posts_since(before)) == 1  # not before the reset

    clock.advance(timedelta(seconds=2))
    await rig.settle()
    clock.advance(timedelta(minutes=10))
    await rig.settle()
    [_, sent] = rig.posts_since(before)
    assert sent.body["uuid"] == refused.body["uuid"]
    assert sent.response["code"] == 0


# --- who may post ---


async def test_a_forged_signature_is_refused_and_nothing_is_stored(rig: FeishuRig) -> None:
    payload = group_message(NEW_TASK, sender="ou_alice")
    assert (await rig.post(payload, signing_key="not-the-key"))[0] == 401
    stale = rig.app.clock.now().timestamp() - 3600
    assert (await rig.post(payload, timestamp=stale))[0] == 401
    body, headers = rig.sealed(payload)
    assert (await rig.post_raw(body.replace(b'"}', b'A"}'), headers))[0] == 401
    assert await rig.rows(InboundEvent) == []


async def test_a_wrong_verification_token_is_refused(rig: FeishuRig) -> None:
    payload = group_message(NEW_TASK, sender="ou_alice")
    payload["header"]["token"] = "someone-elses-token"
    assert (await rig.post(payload))[0] == 401
    assert await rig.rows(InboundEvent) == []


async def test_garbage_is_a_400_not_a_crash(rig: FeishuRig) -> None:
    headers = {"Content-Type": "application/json"}
    assert (await rig.post_raw(b"{not json", headers))[0] == 400
    body = json.dumps({"encrypt": "bm90IGNpcGhlcnRleHQ="}).encode()
    _, signed = rig.sealed({})
    assert (await rig.post_raw(body, signed))[0] in (400, 401)


@pytest.mark.parametrize("encrypted", [False, True])
async def test_the_url_verification_challenge_is_answered(rig: FeishuRig, encrypted: bool) -> None:
    challenge = fixture("url_verification_plain.json") | {"token": TOKEN}
    raw = json.dumps(challenge)
    if encrypted:
        raw = json.dumps({"encrypt": encrypt(raw, ENCRYPT_KEY)})
    status, answer = await rig.post_raw(raw.encode(), {"Content-Type": "application/json"})
    assert (status, answer) == (200, {"challenge": challenge["challenge"]})
    wrong = json.dumps(challenge | {"token": "nope"}).encode()
    assert (await rig.post_raw(wrong, {"Content-Type": "application/json"}))[0] == 401


# --- the database down ---


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def app_without_database(clock: ManualClock) -> AsyncIterator[App]:
    settings = Settings()
    settings.database_url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/concord"
    application = await build_app(settings, clock, migrate=False)
    yield application
    await application.close()


async def test_the_database_down_answers_non_2xx_so_feishu_retries(
    app_without_database: App, fake: FakeFeishu, feishu_settings: FeishuSettings
) -> None:
    app = app_without_database
    async with running(app, app.settings, feishu_settings, fake) as rig:
        status, _ = await rig.post(group_message(NEW_TASK, sender="ou_alice"))
        assert status == 503
        # A click cannot be retried by Feishu: the clicker is told plainly instead.
        click = card_action(
            operator="ou_bob", action="approval.approve", value="1", message_id="om_1"
        )
        status, answer = await rig.post(click)
        assert status == 200
        assert answer["toast"]["type"] == "error"
        assert not has_ascii_word(answer["toast"]["content"])


# --- start-up ---


async def test_wrong_app_credentials_stop_start_up_naming_the_keys(
    app: App, settings: Settings, fake: FakeFeishu, feishu_settings: FeishuSettings
) -> None:
    fake.fail("token", status=200, code=10014, msg="app secret invalid")
    with pytest.raises(ConfigError, match=r"feishu\.app_id.*feishu\.app_secret"):
        async with running(app, settings, feishu_settings, fake):
            pass


def test_the_adapter_is_the_registrys_feishu(rig: FeishuRig) -> None:
    assert isinstance(rig.app.adapters["feishu"], FeishuAdapter)
    assert rig.app.platforms["feishu"] is rig.adapter.platform

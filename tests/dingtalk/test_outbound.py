"""Neutral messages → DingTalk markdown and card data: markup, mentions, limits, golden files."""

from __future__ import annotations

import json

from adapters.dingtalk.outbound import (
    card_mentions,
    card_params,
    message_locale,
    render_markdown,
    title,
)
from bot.text.messages import Actions, Button, Context, Fields, Header, Mention, Message, Section
from bot.text.render import MessageBuilder
from tests.dingtalk.conftest import DingTalkRig
from tests.dingtalk.golden import assert_golden
from tests.dingtalk.scenario import board, request_card

ZHANG_WEI = Mention(7, "张伟", {"dingtalk": "zhangwei", "slack": "U222"})
GUEST = Mention(8, "访客", {"dingtalk": "$:LWCP_v1:$guest"})  # no userId: cannot be @-ed
CAROL = Mention(9, "Carol", {"slack": "U333"})  # not on DingTalk


def test_mentions_are_user_id_tokens_listed_in_at_user_ids() -> None:
    message = Message(
        (Section("**T1 写方案** 负责人 <@m:7>，协作 <@m:8> <@m:9> <@m:10>"),),
        (ZHANG_WEI, GUEST, CAROL),
    )
    rendered = render_markdown(message, in_group=True, default_locale="zh-CN")
    assert rendered.text == "**T1 写方案** 负责人 @zhangwei，协作 @访客 @Carol @?"
    assert rendered.at_user_ids == ("zhangwei",)
    assert card_mentions(message) == {"zhangwei": "张伟"}


def test_blocks_become_markdown_with_hard_line_breaks() -> None:
    when = MessageBuilder.when(
        __import__("datetime").datetime(2026, 11, 25, 7, 0, tzinfo=__import__("datetime").UTC),
        "11-25 15:00",
    )
    message = Message(
        (
            Header("看板 —— <@m:7>"),
            Section(f"第一行\n第二行 {when}"),
            Fields((("负责人", "<@m:7>"), ("截止", "11-25"))),
            Context("提示一\n提示二"),
        ),
        (ZHANG_WEI,),
    )
    rendered = render_markdown(message, in_group=True, default_locale="zh-CN")
    assert rendered.text == (
        "### 看板 —— @张伟\n\n第一行  \n第二行 11-25 15:00\n\n"
        "**负责人**：@zhangwei  \n**截止**：11-25\n\n> 提示一  \n> 提示二"
    )
    assert rendered.title == "看板 —— @张伟"


def test_buttons_become_text_commands_addressed_to_the_robot_in_groups() -> None:
    message = Message(
        (
            Header("审批 · R2"),
            Actions((Button("同意", "approval.approve", "5", "primary"),)),
            Context('也可输入：`申请 R2 同意` · `申请 R2 驳回 "理由"`'),
        )
    )
    group = render_markdown(message, in_group=True, default_locale="zh-CN").text
    assert '`@Concord 申请 R2 同意` · `@Concord 申请 R2 驳回 "理由"`' in group
    assert "请在本群 @Concord 发送下面的命令" in group
    single = render_markdown(message, in_group=False, default_locale="zh-CN").text
    assert "`申请 R2 同意`" in single and "@Concord" not in single


def test_every_suggested_command_in_a_group_is_addressed_to_the_robot() -> None:
    digest = Message((Section("本周完成 1 项"), Context("`看板` 查看全部任务")))
    group = render_markdown(digest, in_group=True, default_locale="zh-CN").text
    assert group.endswith("> `@Concord 看板` 查看全部任务")
    single = render_markdown(digest, in_group=False, default_locale="zh-CN").text
    assert single.endswith("> `看板` 查看全部任务")
    card = Message((Header("审批"), Context("也可输入：`申请 R2 同意`")))
    assert card_params(card, in_group=True)["content"] == "> 也可输入：`@Concord 申请 R2 同意`"
    assert card_params(card)["content"] == "> 也可输入：`申请 R2 同意`"


def test_the_hint_follows_the_language_of_the_message() -> None:
    english = Message(
        (Header("Approval · R2"), Actions((Button("Approve", "approval.approve", "5"),)))
    )
    text = render_markdown(english, in_group=True, default_locale="zh-CN").text
    assert "@Concord in this group" in text
    assert message_locale(Message((Section("123"),)), "zh-CN") == "zh-CN"


def test_card_params_are_strings_with_up_to_three_buttons() -> None:
    buttons = tuple(Button(f"b{i}", f"a.{i}", str(i)) for i in range(1, 5))
    params = card_params(Message((Header("卡片"), Section("正文"), Actions(buttons))))
    assert all(isinstance(v, str) for v in params.values())
    assert (params["title"], params["content"], params["status"]) == ("卡片", "正文", "pending")
    assert (params["btn3_action"], params["btn3_value"], params["btn3_style"]) == (
        "a.3",
        "3",
        "default",
    )
    assert "btn4_label" not in params
    closed = card_params(Message((Header("卡片"), Section("✅ 已同意"))))
    assert (closed["status"], closed["btn1_label"]) == ("closed", "")


def test_long_text_is_cut_within_the_message_limit() -> None:
    rendered = render_markdown(
        Message((Section("长" * 10000),)), in_group=True, default_locale="zh-CN"
    )
    assert len(rendered.text.encode("utf-8")) <= 12000
    assert rendered.text.endswith("…")
    assert len(title(Message((Section("题" * 100),)))) == 64


async def test_golden_board(rig: DingTalkRig) -> None:
    await board(rig)
    before = len(rig.fake.calls)
    await rig.say("看板")
    [send] = [c for c in rig.fake.calls[before:] if c.path == "/v1.0/robot/groupMessages/send"]
    assert_golden("board", {**send.body, "msgParam": json.loads(send.body["msgParam"])})


async def test_golden_digest(rig: DingTalkRig) -> None:
    await board(rig)
    await rig.say("任务 T1 完成")
    await rig.say('问题 上报 "安卓端无法登录" 紧急程度:高')
    before = len(rig.fake.calls)
    await rig.say("周报")
    [send] = [c for c in rig.fake.calls[before:] if c.path == "/v1.0/robot/groupMessages/send"]
    assert_golden("digest", {**send.body, "msgParam": json.loads(send.body["msgParam"])})


async def test_golden_approval_card_without_a_template(rig: DingTalkRig) -> None:
    step = await request_card(rig)
    sends = rig.fake.named("/v1.0/robot/groupMessages/send")
    [card] = [c for c in sends if "申请 R1 同意" in c.body["msgParam"]]
    text = json.loads(card.body["msgParam"])["text"]
    assert "`@Concord 申请 R1 同意`" in text
    assert step.status == "pending"
    assert_golden(
        "approval_card_markdown", {**card.body, "msgParam": json.loads(card.body["msgParam"])}
    )


async def test_golden_approval_card_from_the_template(card_rig: DingTalkRig) -> None:
    await request_card(card_rig)
    cards = card_rig.fake.named("/v1.0/card/instances/createAndDeliver")
    [group] = [c for c in cards if c.body["openSpaceId"].startswith("dtv1.card//IM_GROUP.")]
    assert_golden("approval_card", group.body)


def test_the_shipped_template_declares_every_card_variable() -> None:
    from pathlib import Path

    import adapters.dingtalk

    path = Path(adapters.dingtalk.__file__).parent / "approval_card_template.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    declared = {v["name"] for v in template["variables"]}
    buttons = (Button("a", "x.a", "1"),)
    assert declared == set(card_params(Message((Header("h"), Actions(buttons)))))

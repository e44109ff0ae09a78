"""Only the approver (or their delegate) decides; everyone else is refused privately and
nothing changes. Requester-only and owner-only steps, stale cards, malformed commands."""

from __future__ import annotations

import pytest

from bot.main import App
from bot.text.messages import ActionEvent
from storage.rows import id_of
from tests.console_driver import ConsoleDriver
from tests.request_helpers import request_row, setup, snapshot, steps_of

NEW_BUDGET = {
    "en": ':as carol\nrequest new budget "Ads" amount:8000 from:12-01 to:12-05 purpose:"p" return:"r"',
    "zh-CN": ':as carol\n申请 新建 预算 "广告" 金额:8000 从:12-01 至:12-05 用途:"p" 归还:"r"',
}
REFUSAL = {
    "en": "Only @bob may decide this step of R1. Nothing was changed.",
    "zh-CN": "只有 @bob 可以审批 R1 的这一步。未做任何更改。",
}


def click(step_id: int, who: str, action: str, **inputs: str) -> ActionEvent:
    return ActionEvent(
        platform="console",
        chat_id=who,
        chat_name=who,
        is_direct=True,
        sender_id=who,
        sender_name=who,
        action=f"approval.{action}",
        value=str(step_id),
        inputs=inputs,
    )


def texts(replies: list[object]) -> str:
    return "\n".join(r.message.plain_text() for r in replies)  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_wrong_person_clicking_is_refused_and_nothing_changes(
    console: ConsoleDriver, app: App, locale: str
) -> None:
    await setup(console, locale)
    await console.run(NEW_BUDGET[locale])
    before = await snapshot(app)
    out = await console.run("""
        :as mallory
        :click 1
        :click 2
        :click 3
        :as erin
        :click 1
    """)
    assert out.count(REFUSAL[locale]) == 4, out
    text = {"en": "request R1 approve", "zh-CN": "申请 R1 同意"}[locale]
    out = await console.run(f":as mallory\n{text}")
    assert REFUSAL[locale] in out
    assert await snapshot(app) == before
    assert [s.status for s in await steps_of(app)] == ["pending", "waiting", "waiting"]


async def test_delegate_may_decide_for_the_approver(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    await console.run("member @bob delegate:@dan")
    out = await console.run(NEW_BUDGET["en"])
    assert "Approver: @bob (or delegate @dan)" in out
    out = await console.run(":as dan\n:click 1")
    assert "✅ Approved by @dan for @bob · 11-23 09:00" in out
    step = (await steps_of(app))[0]
    assert step.status == "approved"
    assert step.decided_by != step.approver_id


async def test_stale_card_and_withdrawn_request(console: ConsoleDriver, app: App) -> None:
    await setup(console, "en")
    await console.run(NEW_BUDGET["en"] + "\n:as bob\n:click 1")
    first = (await steps_of(app))[0]
    replies = await app.dispatcher.handle_action(click(id_of(first), "bob", "approve"))
    assert "This step of R1 is already decided (approved); nothing was changed." in texts(replies)

    out = await console.run(":as carol\nrequest R1 withdraw")
    assert "R1 withdrawn; its open approvals are closed." in out
    assert "– Closed: withdrawn by @carol · 11-23 09:00" in out
    assert (await request_row(app)).status == "withdrawn"
    assert [s.status for s in await steps_of(app)] == ["approved", "cancelled", "cancelled"]
    second = (await steps_of(app))[1]
    replies = await app.dispatcher.handle_action(click(id_of(second), "erin", "approve"))
    assert "already decided (closed)" in texts(replies)


async def test_reject_needs_a_reason_then_closes_the_chain(
    console: ConsoleDriver, app: App
) -> None:
    await setup(console, "en")
    await console.run(NEW_BUDGET["en"])
    before = await snapshot(app)
    out = await console.run(":as bob\n:click 2\nrequest R1 reject")
    assert 'Rejecting needs a reason. Type: `request R1 reject "reason"`' in out
    assert 'Rejecting needs a reason: `request R1 reject "reason"`.' in out
    assert await snapshot(app) == before

    step = (await steps_of(app))[0]
    event = click(id_of(step), "bob", "reject", reason="No budget left this quarter")
    await app.dispatcher.handle_action(event)
    await app.deliver()
    out = "".join(console.output)
    assert "❌ Rejected by @bob · 11-23 09:00 — No budget left this quarter" in out
    assert "[to @carol] ❌ R1 Ads was rejected by @bob: No budget left this quarter" in out
    assert (await request_row(app)).status == "rejected"
    assert [s.status for s in await steps_of(app)] == ["rejected", "cancelled", "cancelled"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_requester_and_owner_steps_refuse_others(
    console: ConsoleDriver, app: App, locale: str
) -> None:
    await setup(console, locale)
    await console.run(NEW_BUDGET[locale])
    before = await snapshot(app)
    script = {
        "en": """
            :as mallory
            request R1 accept
            request R1 withdraw
            request R1 reject
            :as carol
            request R1 received
            request R1 accept
            request R1 confirm
            request R1 return "done"
            request R9
            request R1 frobnicate
        """,
        "zh-CN": """
            :as mallory
            申请 R1 接受
            申请 R1 撤回
            申请 R1 驳回
            :as carol
            申请 R1 领取
            申请 R1 接受
            申请 R1 确认
            申请 R1 归还 "好了"
            申请 R9
        """,
    }[locale]
    out = await console.run(script)
    expected = {
        "en": [
            "Only @carol, who made R1, can do that.",
            REFUSAL["en"],
            "R1 is in approval; receipt is confirmed once it is approved.",
            "R1 has no suggestion to accept (it is in approval).",
            "Only the owning department Finance (@erin) can confirm R1.",
            "R1 is in approval; confirm receipt first",
            "There is no request R9 in this project.",
            "“frobnicate” is not something `request` can do.",
        ],
        "zh-CN": [
            "只有申请人 @carol 可以对 R1 执行此操作。",
            REFUSAL["zh-CN"],
            "R1 状态为 审批中，审批通过后才能领取确认。",
            "R1 没有待接受的调整建议（状态：审批中）。",
            "只有资源所属部门 财务部（@erin）可以确认 R1。",
            "本项目没有申请 R9。",
        ],
    }[locale]
    for line in expected:
        assert line in out, f"missing {line!r} in\n{out}"
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('request new budget "Ads" from:12-01 to:12-05 purpose:"p" return:"r"', "Missing amount"),
        (
            'request new budget "Ads" amount:lots from:12-01 to:12-05 purpose:"p" return:"r"',
            "“lots” is not an amount",
        ),
        (
            'request new budget "Ads" amount:9 currency:yuan from:12-01 to:12-05 purpose:"p" return:"r"',
            "“yuan” is not a currency code",
        ),
        ('request new material "Booth" purpose:"p" return:"r"', "Give the usage window"),
        (
            'request new material "Booth" from:12-05 to:12-01 purpose:"p" return:"r"',
            "The window ends before it starts.",
        ),
        ('request new material "Booth" from:12-01 to:12-05 return:"r"', "Missing purpose"),
        ('request new material "Booth" from:12-01 to:12-05 purpose:"p"', "Missing return"),
        (
            'request new spaceship "x" from:12-01 to:12-05 purpose:"p" return:"r"',
            "“spaceship” is not",
        ),
        (
            'request new people "Designer" from:12-01 to:12-05 purpose:"p" return:"r"',
            "Which department provides this people resource?",
        ),
        (
            'request new material "Booth" from:12-01 to:12-05 purpose:"p" return:"r" dept:Nowhere',
            "There is no department “Nowhere”",
        ),
        (
            'request new material "Booth" from:12-01 to:12-05 purpose:"p" return:"r" colour:red',
            "Unknown option “colour:”",
        ),
    ],
)
async def test_malformed_new_request_changes_nothing(
    console: ConsoleDriver, app: App, line: str, message: str
) -> None:
    await setup(console, "en")
    before = await snapshot(app)
    out = await console.run(f":as carol\n{line}")
    assert message in out
    assert "Usage: request new" in out or "Unknown option" in out or "There is no" in out
    assert await snapshot(app) == before


async def test_requester_without_department_or_leader_is_told_how_to_fix(
    console: ConsoleDriver, app: App
) -> None:
    await setup(console, "en")
    before = await snapshot(app)
    out = await console.run("""
        :as zoe
        request new material "Booth" from:12-01 to:12-05 purpose:"p" return:"r"
        :as alice
        dept add Ops
        member @yan dept:Ops
        :as yan
        request new material "Booth" from:12-01 to:12-05 purpose:"p" return:"r"
    """)
    assert "You are not in a department yet" in out
    assert "Ops has no leader to approve the request" in out
    after = await snapshot(app)
    assert after["ResourceRequest"] == before["ResourceRequest"]
    assert after["ApprovalStep"] == before["ApprovalStep"]

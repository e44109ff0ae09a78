"""``member link``: one person across platforms, proven by a one-time code.

Wang has a Feishu account (``wang``, HQ) and a Slack account (``wang``, sales). Before
linking they are two people of one name, shown apart; a code started on Slack and typed on
Feishu makes them one — mentions, ownership, RACI, approvals and ``my`` are then the same on
both — while wrong, expired or reused codes change nothing."""

from __future__ import annotations

import asyncio
import json
import re

from sqlmodel import select

from bot.dates.clock import ManualClock
from bot.inbound.profiles import Profile, apply_profiles
from bot.main import App
from bot.text.messages import IncomingMessage
from storage.db import transaction
from storage.tables import AuditLog, LinkCode, Member, MemberIdentity, Outbox, Task
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import rows

SETUP = """
    :in feishu:hq
    :as feishu:zhang
    项目 新建 "出海计划"
    :as feishu:wang
    看板
    :in slack:sales
    :as slack:mike
    settings locale:en tz:America/New_York
    project bind P1
    :as slack:wang
    board
    :in feishu:hq
    :as feishu:zhang
    成员 mike 角色:pm
    :in slack:sales
    :as slack:mike
    task add "Customer list" owner:@wang due:12-04
    :in feishu:hq
    :as feishu:zhang
    任务 新建 "展会物料" 负责人:@wang 截止:12-01
"""
CODE = re.compile(r"Your link code: ([A-Z2-9]{4}-[A-Z2-9]{4})")


async def start_on_slack(console: ConsoleDriver) -> str:
    out = await console.run(":in slack:sales\n:as slack:wang\nmember link")
    found = CODE.search(out)
    assert found, out
    return found.group(1)


async def confirm_on_feishu(console: ConsoleDriver, code: str) -> str:
    return await console.run(f":in feishu:hq\n:as feishu:wang\nmember link {code}")


async def people(app: App) -> list[tuple[str, str, int]]:
    """(platform, account, member id) of every identity."""
    return sorted((i.platform, i.external_id, i.member_id) for i in await rows(app, MemberIdentity))


def refs(text: str) -> set[str]:
    return set(re.findall(r"\bT\d+\b", text))


async def test_two_people_of_one_name_are_told_apart_until_linked(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP)
    board = await console.run("看板")
    assert "T1 Customer list — @wang (Slack) · 截止 12-05" in board
    assert "T2 展会物料 — @wang (飞书) · 截止 12-01" in board
    english = await console.run(":in slack:sales\n:as slack:mike\nboard")
    assert "T2 展会物料 — @wang (Feishu) · due 12-01" in english

    code = await start_on_slack(console)
    linked = await confirm_on_feishu(console, code)
    assert "已关联：@wang 现在在Slack和飞书上是同一个人。" in linked
    assert "[to slack:@wang] Your Feishu account wang was linked to this Slack account" in linked
    board = await console.run(":as feishu:zhang\n看板")
    assert "T1 Customer list — @wang · 截止 12-05" in board
    assert "T2 展会物料 — @wang · 截止 12-01" in board


async def test_a_code_from_slack_confirmed_on_feishu_links_and_my_is_the_same_on_both(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    before = await people(app)
    assert len({member for platform, account, member in before if account == "wang"}) == 2
    code = await start_on_slack(console)
    stored = json.dumps([c.model_dump() for c in await rows(app, LinkCode)], default=str)
    assert code.replace("-", "") not in stored and code not in stored

    await confirm_on_feishu(console, code)
    after = await people(app)
    wang = {member for _, account, member in after if account == "wang"}
    assert len(wang) == 1
    (kept,) = wang
    slack_my = await console.run(":in slack:sales\n:as slack:wang\nmy")
    feishu_my = await console.run(":in feishu:hq\n:as feishu:wang\n我的")
    assert refs(slack_my) == refs(feishu_my) == {"T1", "T2"}
    assert {t.owner_id for t in await rows(app, Task)} == {kept}

    # Mentions resolve to the one person from both sides, and render on both platforms.
    await console.run(':as feishu:zhang\n任务 新建 "报价单" 负责人:@wang 截止:12-02')
    await console.run(':in slack:sales\n:as slack:mike\ntask add "Demo" owner:@wang due:12-03')
    assert {t.owner_id for t in await rows(app, Task)} == {kept}
    slack_my = await console.run(":as slack:wang\nmy")
    feishu_my = await console.run(":in feishu:hq\n:as feishu:wang\n我的")
    assert refs(slack_my) == refs(feishu_my) == {"T1", "T2", "T3", "T4"}
    mention = next(  # in the last message naming wang (the Slack reply)
        m
        for r in reversed(await rows(app, Outbox))
        for m in json.loads(r.payload)["mentions"]
        if m["member_id"] == kept
    )
    assert mention["accounts"] == {"feishu": "wang", "slack": "wang"}

    # Who linked what, when; the absorbed member stays, pointing at the kept one.
    entry = next(a for a in await rows(app, AuditLog) if a.action == "member.link")
    detail = json.loads(entry.detail or "{}")
    assert entry.actor_id == kept and entry.platform == "feishu"
    assert detail["accounts"] == ["slack:wang", "feishu:wang"]
    merged = next(m for m in await rows(app, Member) if m.id == detail["merged"])
    assert merged.merged_into_id == kept


async def test_wrong_expired_or_reused_codes_change_nothing(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP)
    before = await people(app)
    code = await start_on_slack(console)
    wrong = await confirm_on_feishu(console, "AAAA-2222")
    assert "验证码错误或已过期：未做任何更改。剩余尝试次数：4。" in wrong
    assert await people(app) == before
    same_side = await console.run(f":in slack:sales\n:as slack:wang\nmember link {code}")
    assert "Confirm the code from your account on another platform, not on Slack." in same_side
    await console.run(":advance 11m")
    expired = await confirm_on_feishu(console, code)
    # (the first wrong code is older than the 10 minutes that count)
    assert "验证码错误或已过期" in expired and "剩余尝试次数：4" in expired
    assert await people(app) == before

    code = await start_on_slack(console)
    await confirm_on_feishu(console, code)
    linked = await people(app)
    assert linked != before
    again = await console.run(f":in feishu:hq\n:as feishu:zhang\nmember link {code}")
    assert "验证码错误或已过期" in again
    assert await people(app) == linked


async def test_guessing_is_bounded_and_nobody_links_someone_else(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP)
    code = await start_on_slack(console)
    for attempt in range(5):
        await confirm_on_feishu(console, f"AAAA-{attempt}{attempt}{attempt}{attempt}")
    out = await confirm_on_feishu(console, code)
    assert "错误次数过多，请 10 分钟后再试。" in out
    assert len({m for _, a, m in await people(app) if a == "wang"}) == 2
    other = await console.run(":as feishu:zhang\n成员 关联 @wang")
    assert "只能关联你自己的账号" in other
    prefer = await console.run("成员 @wang 首选:slack")
    assert "私信发到哪里只能由你本人选择" in prefer


async def test_dms_follow_the_last_platform_or_the_chosen_one_and_unlink_splits(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP)
    await confirm_on_feishu(console, await start_on_slack(console))
    await console.run(":as feishu:zhang\n任务 T2 raci R:@zhang A:@zhang I:@wang")
    # wang wrote last from Feishu (the confirmation): the notice goes there.
    out = await console.run("任务 T2 开始")
    assert "[to feishu:@wang] 【出海计划】T2 展会物料：未开始 → 进行中（@zhang）" in out
    await console.run(":in slack:sales\n:as slack:wang\nmy")
    out = await console.run(':in feishu:hq\n:as feishu:zhang\n任务 T2 阻塞 "等样品"')
    assert "[to slack:@wang]" in out and "[to feishu:@wang]" not in out
    chosen = await console.run(":in slack:sales\n:as slack:wang\nmember @me prefer:feishu")
    assert "Direct messages: on Feishu (chosen)" in chosen
    assert "Accounts: Feishu (wang), Slack (wang)" in chosen
    out = await console.run(":in feishu:hq\n:as feishu:zhang\n任务 T2 解除阻塞")
    assert "[to feishu:@wang]" in out and "[to slack:@wang]" not in out

    unlinked = await console.run(":in slack:sales\n:as slack:wang\nmember unlink slack")
    assert "Unlinked your Slack account wang from @wang" in unlinked
    assert len({m for _, a, m in await people(app) if a == "wang"}) == 2
    assert (
        "You have no open tasks" in await console.run("my")
        or refs(await console.run("my")) == set()
    )
    assert refs(await console.run(":in feishu:hq\n:as feishu:wang\n我的")) == {"T1", "T2"}


async def test_one_code_typed_twice_at_once_links_once(app: App, console: ConsoleDriver) -> None:
    """Two accounts race to use one code: the code row is locked, so one links, one fails."""
    await console.run(SETUP + "\n:in feishu:hq\n:as feishu:li\n看板")
    code = await start_on_slack(console)

    def typed(account: str) -> IncomingMessage:
        return IncomingMessage(
            platform="feishu",
            chat_id="hq",
            sender_id=account,
            sender_name=account,
            text=f"member link {code}",
        )

    answers = await asyncio.gather(
        app.dispatcher.handle_message(typed("wang")), app.dispatcher.handle_message(typed("li"))
    )
    texts = [a[0].message.plain_text() for a in answers]
    assert sum("已关联" in text for text in texts) == 1, texts
    assert sum("验证码错误或已过期" in text for text in texts) == 1, texts
    async with transaction(app.sessions) as session:
        slack_wang = (
            await session.exec(
                select(MemberIdentity).where(
                    MemberIdentity.platform == "slack", MemberIdentity.external_id == "wang"
                )
            )
        ).one()
        linked = (
            await session.exec(
                select(MemberIdentity).where(MemberIdentity.member_id == slack_wang.member_id)
            )
        ).all()
    assert len(linked) == 2


async def test_each_platforms_directory_renames_only_its_own_account_once_linked(
    console: ConsoleDriver, app: App, clock: ManualClock
) -> None:
    await console.run(SETUP)
    await confirm_on_feishu(console, await start_on_slack(console))
    await apply_profiles(
        app.sessions,
        platform="slack",
        profiles={"wang": Profile(name="Wang Wei", timezone="America/New_York")},
        now=clock.now(),
    )
    await apply_profiles(
        app.sessions,
        platform="feishu",
        profiles={"wang": Profile(name="王伟", timezone="Asia/Shanghai")},
        now=clock.now(),
    )
    identities = {(i.platform, i.display_name) for i in await rows(app, MemberIdentity)}
    assert {("slack", "Wang Wei"), ("feishu", "王伟")} <= identities
    (wang,) = [m for m in await rows(app, Member) if m.name == "wang" and m.merged_into_id is None]
    assert wang.timezone == "America/New_York"  # the first zone heard; not flipped after

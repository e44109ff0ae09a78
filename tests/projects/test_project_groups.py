"""One project in several groups: ``project groups``, ``project unbind`` (owner/PM only, never
the last group of an open project), and what each group receives (``settings notify:``).

HQ on Feishu (the project's home), a Slack sales group and a DingTalk factory group; zhang
owns the project, mike leads sales on Slack, li works in the factory on DingTalk."""

from __future__ import annotations

from bot.dates.clock import ManualClock
from bot.main import App
from storage.tables import AuditLog, Chat
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import rows

SETUP = """
    :in feishu:hq
    :as feishu:zhang
    项目 新建 "出海计划"
    :in slack:sales
    :as slack:mike
    settings locale:en tz:America/New_York
    project bind P1
    :in dingtalk:factory
    :as dingtalk:li
    设置 时区:Asia/Shanghai
    项目 绑定 P1
    :in feishu:hq
    :as feishu:zhang
    成员 mike 角色:pm
"""


async def test_groups_are_listed_with_what_each_receives(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.run(":in slack:sales\n:as slack:mike\nsettings notify:mine\nproject groups")
    assert "Receives: the digest and what concerns its own people" in out
    assert (
        "Groups of P1 出海计划 (3)\n"
        "1. Feishu · hq — zh-CN, Asia/Shanghai, digest Fri 15:00, quiet 22:00-08:00, "
        "receives: everything\n"
        "2. Slack · sales — en, America/New_York, digest Fri 15:00, quiet 22:00-08:00, "
        "receives: the digest and what concerns its own people ←\n"
        "3. DingTalk · factory — zh-CN, Asia/Shanghai, digest Fri 15:00, quiet 22:00-08:00, "
        "receives: everything"
    ) in out
    bad = await console.run("settings notify:some")
    assert "“some” is not a choice: notify:all" in bad


async def test_only_the_owner_or_a_pm_unbinds_and_never_the_last_group(
    console: ConsoleDriver, app: App
) -> None:
    await console.run(SETUP)
    refused = await console.run(":in dingtalk:factory\n:as dingtalk:li\n项目 解绑 1")
    assert "只有 @mike, @zhang（项目负责人或项目经理）可以解绑 P1 的群。" in refused
    assert {c.external_id for c in await rows(app, Chat) if c.project_id} == {
        "hq",
        "sales",
        "factory",
    }

    out = await console.run(":in feishu:hq\n:as feishu:zhang\n项目 解绑 2")
    assert "已将 Slack sales 与 P1 出海计划 解绑。" in out
    assert (
        "[to slack:sales] @zhang unbound this group (Slack sales) from P1 出海计划: it receives "
        "nothing of it any more."
    ) in out
    out = await console.run("项目 解绑 factory")
    assert "已将 钉钉 factory 与 P1 出海计划 解绑。" in out
    last = await console.run("项目 解绑")
    assert "P1 仍在进行，这是它最后一个群，不能解绑" in last
    unknown = await console.run("项目 解绑 7")
    assert "“7”不是本项目的群" in unknown
    assert {c.external_id for c in await rows(app, Chat) if c.project_id} == {"hq"}
    assert [a.action for a in await rows(app, AuditLog)].count("project.unbind") == 2
    # The unbound group has no project any more; binding it again works as before.
    again = await console.run(":in slack:sales\n:as slack:mike\nboard\nproject bind P1\nboard")
    assert "This chat now follows P1 出海计划." in again


async def test_a_group_takes_all_only_what_concerns_its_people_or_only_the_digest(
    console: ConsoleDriver, clock: ManualClock
) -> None:
    await console.run(SETUP)
    await console.run(":in slack:sales\n:as slack:mike\nsettings notify:mine")
    await console.run(":in feishu:hq\n:as feishu:zhang\n成员 li 角色:pm")
    await console.run(":in dingtalk:factory\n:as dingtalk:li\n设置 通知:周报")
    await console.run(
        """
        :in feishu:hq
        :as feishu:zhang
        任务 新建 "展会物料" 负责人:@zhou 截止:11-24
        :in slack:sales
        :as slack:mike
        task add "Customer list" owner:@mike due:11-24
        """
    )
    out = await console.run(":in lobby\n:advance 4d")
    # HQ takes everything; sales only the reminder about mike (who writes there); the
    # factory none of them.
    assert "[to feishu:hq] ⚠ T1 展会物料 已逾期" in out
    assert "[to feishu:hq] ⚠ T2 Customer list 已逾期" in out
    assert "[to slack:sales] ⚠ T2 Customer list is overdue" in out
    assert "[to slack:sales] ⚠ T1" not in out
    assert "[to dingtalk:factory] ⚠" not in out and "[to dingtalk:factory] ⬆" not in out
    # … and all three take the weekly digest, each once, at 15:00 in its zone.
    out += await console.run(":advance 2d")
    for group in ("feishu:hq", "dingtalk:factory"):
        assert out.count(f"[to {group}] 📊 周报 — P1 出海计划") == 1, group
    assert out.count("[to slack:sales] 📊 Weekly digest — P1 出海计划") == 1


async def test_meeting_agendas_reach_every_group_in_its_language(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    await console.run(
        ':in feishu:hq\n:as feishu:zhang\n会议 新建 "周会" 时间:"fri 10:00" 议程:"进度 10m"'
    )
    out = await console.run(":in lobby\n:advance 1d2h")  # the agenda: Tuesday 10:00 Shanghai
    assert (
        "[to feishu:hq] 📋 会议议程 —— M1 周会\n时间: 周五 11-27 10:00–11:00（Asia/Shanghai）"
        in out
    )
    assert "[to slack:sales] 📋 Agenda — M1 周会\nTime: Thu 11-26 21:00–22:00" in out
    assert "[to dingtalk:factory] 📋 会议议程 —— M1 周会" in out

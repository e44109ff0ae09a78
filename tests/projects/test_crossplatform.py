"""Issue #12 acceptance through the console playing two platforms: a Feishu HQ group in
zh-CN / Asia/Shanghai and a Slack sales group in en / America/New_York on one project.

One board from both groups; an overdue task reminded in each group at 09:00 *its* time and
in its language; a budget asked for in Slack, approved on the Feishu card, and the Slack
card updated; the weekly digest in each group at 15:00 its time, exactly once each."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.main import App
from storage.tables import Chat
from tests.console_driver import ConsoleDriver
from tests.meeting_helpers import rows
from tests.scheduling import SHANGHAI, at, keys

SCRIPT = (Path(__file__).parents[1] / "scripts" / "crossplatform.txt").read_text()
NEW_YORK = ZoneInfo("America/New_York")


def steps() -> list[tuple[str, str]]:
    """The script's steps: (name, lines)."""
    parts = re.split(r"^## (.+)$", SCRIPT, flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


async def run_script(console: ConsoleDriver) -> dict[str, str]:
    return {name: await console.run(lines) for name, lines in steps()}


async def chat_ids(app: App) -> dict[str, int]:
    return {c.external_id: c.id for c in await rows(app, Chat) if c.id is not None}


async def test_one_project_in_a_feishu_and_a_slack_group(console: ConsoleDriver, app: App) -> None:
    out = await run_script(console)
    groups = out["setup"]
    assert "This chat now follows P1 出海计划." in groups
    assert (
        "1. Feishu · hq — zh-CN, Asia/Shanghai, digest Fri 15:00, quiet 22:00-08:00, "
        "receives: everything\n"
        "2. Slack · sales — en, America/New_York, digest Fri 15:00, quiet 22:00-08:00, "
        "receives: everything ←"
    ) in groups

    # A task made in Feishu is on the Slack board (in New York dates), and the other way.
    board = out["one board"]
    assert "To do (1)\n• T1 展会物料 — @li · due 11-24" in board
    assert (
        "未开始（2）\n• T1 展会物料 — @li · 截止 11-24\n• T2 Customer list — @mike · Sales · 截止 12-05"
        in board
    )

    # The overdue reminder: Shanghai's group at 09:00 Shanghai, in Chinese …
    shanghai = out["Thursday 09:00 in Shanghai"]
    assert "[to feishu:hq] ⚠ T1 展会物料 已逾期 2 天（截止 11-24）。@li @zhang" in shanghai
    assert "[to slack:sales] ⚠" not in shanghai
    # The escalation it opens is posted in both groups at once, each in its language.
    assert "[to feishu:hq] ⬆ 升级 E1 · L1：T1 展会物料：自 11-24 起逾期" in shanghai
    assert "[to slack:sales] ⬆ Escalation E1 · L1 on T1 展会物料: overdue since 11-24" in shanghai
    # … New York's at 09:00 New York (13 hours later), in English, with New York's dates.
    new_york = out["Thursday 09:00 in New York"]
    assert "[to slack:sales] ⚠ T1 展会物料 is overdue by 2d (due 11-24). @li @zhang" in new_york
    assert "[to feishu:hq] ⚠ T1" not in new_york
    ids = await chat_ids(app)
    sent = await keys(app, "task:1:overdue:")
    claimed = {key.rsplit(":", 1)[-1]: moment for key, moment in sent.items() if ":chat:" in key}
    assert claimed == {
        str(ids["hq"]): at("2026-11-26 09:00"),
        str(ids["sales"]): at("2026-11-26 09:00", NEW_YORK),
    }

    # Asked for in Slack, approved by the Feishu approver on the card in Feishu: both cards
    # are edited, each in its own language and clock.
    approval = out["approval"]
    assert "[updated] 审批 · R1 预算：Trade fair booth" in approval
    assert "✅ @zhao 已同意 · 11-26 22:00" in approval
    assert "[to slack:sales] [updated] Approval · R1 budget: Trade fair booth" in approval
    assert "✅ Approved by @zhao · 11-26 09:00" in approval

    # The weekly digest: Friday 15:00 in each zone, once per group.
    friday_here = out["Friday 15:00 in Shanghai"]
    assert friday_here.count("[to feishu:hq] 📊 周报 — P1 出海计划") == 1
    assert "[to slack:sales] 📊" not in friday_here
    friday_there = out["Friday 15:00 in New York"]
    assert friday_there.count("[to slack:sales] 📊 Weekly digest — P1 出海计划") == 1
    assert "[to feishu:hq] 📊" not in friday_there
    everything = "".join(out.values())
    assert everything.count("📊 周报") == 1 and everything.count("📊 Weekly digest") == 1
    digests = await keys(app, "digest:")
    assert sorted(digests.values()) == [
        at("2026-11-27 15:00", SHANGHAI),
        at("2026-11-27 15:00", NEW_YORK),
    ]

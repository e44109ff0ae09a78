"""``report`` / ``复盘``: retrospective figures and the CSV export."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from bot.dates.clock import ManualClock
from bot.main import App
from tests.console_driver import ConsoleDriver

SCRIPT = """
    dept add 研发部 leader:@me
    project new "Apollo / v2"
    phase add Design milestone:11-25
    task add "On time" phase:Design owner:@me dept:研发部 due:11-25
    task add "Late" phase:Design owner:@me dept:研发部 due:11-24
    task add "Open" owner:@me due:11-26
    task T1 start
    task T2 start
    task T2 block "vendor"
"""


async def test_figures_and_export(
    console: ConsoleDriver, app: App, clock: ManualClock, tmp_path: Path
) -> None:
    app.settings.exports_dir = str(tmp_path / "exports")
    await console.run(SCRIPT)
    clock.advance(timedelta(hours=6))
    await console.run("task T2 unblock\ntask T1 done")
    clock.advance(timedelta(days=3))  # Thu 11-26 15:00: T2 is late (and still open)
    await console.say("task T2 done")
    out = await console.say("report csv")
    assert "Retrospective — Apollo / v2 (2026-11-26)" in out
    assert "Overall: 2/3 done (67%) · late 1 (33% of tasks with deadlines)" in out
    assert "blocked 6.0 h" in out
    assert "Design: planned 2026-11-25, reached 2026-11-26 (slip 1 d)" in out
    assert "Exported 3 tasks to" in out
    files = list((tmp_path / "exports").iterdir())
    assert [f.name for f in files] == ["Apollo_v2-2026-11-26-retrospective.csv"]
    with files[0].open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Task", "Title", "Status", "Due", "Done", "Delay (days)", "Blocked (hours)"]
    assert rows[2][:3] == ["T2", "Late", "done"]
    assert float(rows[2][5]) > 1.5


async def test_chinese_report(console: ConsoleDriver, app: App, tmp_path: Path) -> None:
    app.settings.exports_dir = str(tmp_path)
    console.set_locale("zh-CN")
    await console.run(SCRIPT)
    out = await console.say("复盘 导出")
    assert "项目复盘 —— Apollo / v2（2026-11-23）" in out
    assert "已导出 3 个任务" in out
    assert (tmp_path / "Apollo_v2-2026-11-23-复盘.csv").exists()
    assert "不支持“pdf”" in await console.say("复盘 pdf")

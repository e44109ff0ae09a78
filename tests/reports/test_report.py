"""``report`` / ``复盘``: the retrospective's figures against a hand-computed project, the
XLSX and CSV files it sends, and the file names by the chat's language.

The project (clock: Mon 2026-11-23 09:00 Asia/Shanghai; deadlines are the end of the day,
23:59:59):
  T1 Design/研发部 due 11-25, done Mon 15:00             → on time
  T2 Design/研发部 due 11-24, blocked 6 h, done Thu 19:00 → late 1 d 19 h 0 m 1 s
  T3 Build/市场部  due 11-26, still open Fri 19:00        → late 19 h 0 m 1 s
  T4 Build/市场部  no deadline, open
  T5 Build/市场部  due 12-10, done Thu 19:00              → early
  I1 high, 登录, reported Mon 15:00, triaged 16:00 (1 h; its 2 h plan SLA is missed)
  R1 budget: 研发部 @bob approves after 2 h, 市场部 @mia rejects after 1 h
The report is asked for on Fri 11-27 19:00. (``+Nh`` lines move the clock without running the
scheduler: reminders are not what this tests.)
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.dates.clock import ManualClock
from bot.exports import charts
from bot.main import App
from tests.console_driver import ConsoleDriver

SCRIPT = """
    :as alice
    dept add 研发部 leader:@bob
    dept add 市场部 leader:@mia
    member @carol dept:研发部
    project new "Apollo / v2" depts:研发部,市场部 start:11-23
    phase add Design milestone:11-25
    phase add Build milestone:12-04
    task add "On time" phase:Design owner:@carol dept:研发部 due:11-25
    task add "Late" phase:Design owner:@carol dept:研发部 due:11-24
    task add "Open late" phase:Build owner:@mia dept:市场部 due:11-26
    task add "No deadline" phase:Build owner:@mia dept:市场部
    task add "Early" phase:Build owner:@mia dept:市场部 due:12-10
    task T1 start
    task T2 start
    task T5 start
    task T2 block "vendor"
    +6h
    task T2 unblock
    task T1 done
    issue report "Login fails" urgency:high depts:研发部 category:登录
    +1h
    issue I1 triage primary:研发部 owner:@carol eta:D+2
    :as carol
    request new budget "Ads" amount:800 dept:市场部 from:12-01 to:12-05 purpose:"p" return:"r"
    +2h
    :as bob
    request R1 approve
    +1h
    :as mia
    request R1 reject "no budget"
    +72h
    :as alice
    task T2 done
    task T5 done
    +24h
"""
DAY = 86400
T2_LATE = (DAY + 19 * 3600 + 1) / DAY  # 11-24 23:59:59 → 11-26 19:00
T3_LATE = (19 * 3600 + 1) / DAY  # 11-26 23:59:59 → 11-27 19:00 (still open)
SHEETS = [
    "Summary",
    "By department",
    "By phase",
    "Milestones",
    "Tasks",
    "Issues",
    "Issue statistics",
    "Approvals",
]


async def run_project(console: ConsoleDriver, clock: ManualClock) -> None:
    for part in re.split(r"^\s*(\+\d+h)\s*$", SCRIPT, flags=re.MULTILINE):
        if part.startswith("+"):
            clock.advance(timedelta(hours=int(part[1:-1])))
        else:
            await console.run(part)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
async def project(console: ConsoleDriver, app: App, clock: ManualClock, tmp_path: Path) -> Path:
    app.settings.exports_dir = str(tmp_path / "exports")
    await run_project(console, clock)
    return tmp_path / "exports"


async def test_the_figures_in_the_chat(console: ConsoleDriver, project: Path) -> None:
    out = await console.say("report")
    assert "Retrospective — Apollo / v2 (2026-11-27)" in out
    # 3 of 5 done; T2 and T3 late of the 4 with a deadline; (1.79 + 0.79) / 2 days
    assert (
        "Overall: 3/5 done (60%) · late 2 (50% of tasks with deadlines) · "
        "average delay 1.3 d · blocked 6.0 h"
    ) in out
    assert (
        "研发部: 2/2 done (100%) · late 1 (50% of tasks with deadlines) · average delay 1.8 d"
        in out
    )
    assert (
        "市场部: 1/3 done (33%) · late 1 (50% of tasks with deadlines) · average delay 0.8 d" in out
    )
    assert "Design: 2/2 done (100%)" in out
    assert "Build: 1/3 done (33%)" in out
    assert "Design: planned 2026-11-25, reached 2026-11-26 (slip 1 d)" in out
    assert "Build: planned 2026-12-04, reached — (slip — d)" in out
    assert "Issues: 1 reported, 0 closed, 0 reopened" in out
    assert "mean time to triage 1.0 h · SLA breaches 1" in out
    assert "Approvals: 1 requests · 2 decisions, 1 rejected · mean time to decide 1.5 h" in out
    names = files_in(project)
    assert names == [
        "Apollo_v2-20261127-retro-burnup.png",
        "Apollo_v2-20261127-retro-departments.png",
        "Apollo_v2-20261127-retro.xlsx",
    ]
    assert f"📎 Apollo_v2-20261127-retro.xlsx → {project / names[2]}" in out
    assert all((project / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names[:2])


async def test_the_workbook_has_typed_sheets_and_totals(
    console: ConsoleDriver, project: Path
) -> None:
    await console.say("report xlsx")
    book = openpyxl.load_workbook(project / "Apollo_v2-20261127-retro.xlsx")
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.column_dimensions["A"].width >= len(str(sheet["A1"].value))

    summary = book["Summary"]
    row = {head.value: cell for head, cell in zip(summary[1], summary[2], strict=True)}
    assert row["Project"].value == "Apollo / v2"
    assert row["Date"].value == datetime(2026, 11, 27)
    assert row["Date"].number_format == "yyyy-mm-dd"
    assert (row["Tasks"].value, row["Done"].value) == (5, 3)
    assert row["Completion"].value == pytest.approx(0.6)
    assert row["Completion"].number_format == "0.0%"
    assert row["Overdue rate"].value == pytest.approx(0.5)
    assert row["Average delay (days)"].value == round((T2_LATE + T3_LATE) / 2, 2)
    assert row["Blocked (hours)"].value == 6.0
    assert (row["Issues"].value, row["SLA breaches"].value) == (1, 1)
    assert row["Mean hours to triage"].value == 1.0
    assert (row["Requests"].value, row["Decisions"].value, row["Rejections"].value) == (1, 2, 1)
    assert row["Mean hours to decide"].value == 1.5

    departments = [[c.value for c in r] for r in book["By department"].iter_rows(min_row=2)]
    assert departments == [
        ["研发部", 2, 2, 1.0, 2, 1, 0.5, round(T2_LATE, 2), 6.0],
        ["市场部", 3, 1, pytest.approx(1 / 3), 2, 1, 0.5, round(T3_LATE, 2), 0.0],
        ["Overall", 5, 3, 0.6, 4, 2, 0.5, round((T2_LATE + T3_LATE) / 2, 2), 6.0],
    ]
    assert book["By department"]["G4"].font.b  # the totals row
    assert book["By department"]["D2"].number_format == "0.0%"

    milestones = [[c.value for c in r] for r in book["Milestones"].iter_rows(min_row=2)]
    assert milestones == [
        ["Design", datetime(2026, 11, 25), datetime(2026, 11, 26), 1],
        ["Build", datetime(2026, 12, 4), None, None],
    ]
    tasks = {r[0].value: r for r in book["Tasks"].iter_rows(min_row=2)}
    assert [c.value for c in tasks["T2"]][:8] == [
        "T2",
        "Late",
        "done",
        "Design",
        "研发部",
        "carol",
        datetime(2026, 11, 23),
        datetime(2026, 11, 24),
    ]
    assert tasks["T2"][8].value == datetime(2026, 11, 26, 19, 0)
    assert tasks["T2"][8].number_format == "yyyy-mm-dd hh:mm"
    assert tasks["T4"][7].value is None

    [issue] = [[c.value for c in r] for r in book["Issues"].iter_rows(min_row=2)]
    assert issue[:6] == ["I1", "Login fails", "登录", "研发部", "high", "in progress"]
    assert issue[6:8] == [datetime(2026, 11, 23, 15, 0), datetime(2026, 11, 23, 16, 0)]
    assert issue[9] == 1.0
    assert issue[11:] == ["met", "missed", 0]

    stats = [[c.value for c in r] for r in book["Issue statistics"].iter_rows(min_row=2)]
    assert ["Category", "登录", 1] in stats
    assert ["Department", "研发部", 1] in stats
    assert ["Urgency", "high", 1] in stats

    approvals = [[c.value for c in r] for r in book["Approvals"].iter_rows(min_row=2)]
    assert [(a[0], a[2], a[3], a[4], a[7]) for a in approvals] == [
        ("R1", 1, "bob", "approved", 2.0),
        ("R1", 2, "mia", "rejected", 1.0),
    ]


async def test_the_csv_has_every_table(console: ConsoleDriver, project: Path) -> None:
    out = await console.say("report csv")
    assert "📎 Apollo_v2-20261127-retro.csv" in out
    raw = (project / "Apollo_v2-20261127-retro.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel opens UTF-8 with a BOM right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    titles = [r[0] for i, r in enumerate(rows) if len(r) == 1 and (i == 0 or not rows[i - 1])]
    assert titles == SHEETS
    start = rows.index(["By department"])
    assert rows[start + 1][:4] == ["Department", "Tasks", "Done", "Completion"]
    assert rows[start + 2][:7] == ["研发部", "2", "2", "100.0%", "2", "1", "50.0%"]
    assert rows[start + 4][:4] == ["Overall", "5", "3", "60.0%"]
    tasks = rows.index(["Tasks"])
    assert rows[tasks + 3][:3] == ["T2", "Late", "done"]
    assert rows[tasks + 3][7:9] == ["2026-11-24", "2026-11-26 19:00"]


async def test_chinese_names_and_formats(
    console: ConsoleDriver, app: App, clock: ManualClock, tmp_path: Path
) -> None:
    app.settings.exports_dir = str(tmp_path)
    console.set_locale("zh-CN")
    await run_project(console, clock)
    out = await console.say("复盘 导出")
    assert "项目复盘 —— Apollo / v2（2026-11-27）" in out
    assert "**总体**" not in out and "总体：完成 3/5（60%）" in out
    assert (tmp_path / "Apollo_v2-20261127-复盘.csv").exists()
    await console.say("复盘 表格")
    book = openpyxl.load_workbook(tmp_path / "Apollo_v2-20261127-复盘.xlsx")
    assert book.sheetnames == [
        "概览",
        "按部门",
        "按阶段",
        "里程碑",
        "任务",
        "问题",
        "问题统计",
        "审批",
    ]
    assert book["按部门"]["A4"].value == "总体"
    assert (tmp_path / "Apollo_v2-20261127-复盘-燃尽图.png").exists()
    assert "不支持“pdf”" in await console.say("复盘 pdf")


async def test_a_report_outside_a_project_says_how(console: ConsoleDriver) -> None:
    out = await console.say("report")
    assert "project" in out.lower()


def test_the_burn_up_counts_by_local_day() -> None:
    from zoneinfo import ZoneInfo

    from commands.reports.retrospective import burn
    from storage.tables import Task

    zone = ZoneInfo("Asia/Shanghai")

    def task(number: int, created: str, done: str | None, status: str = "todo") -> Task:
        return Task(
            project_id=1,
            number=number,
            title=f"T{number}",
            status=status,
            created_at=datetime.fromisoformat(created),
            updated_at=datetime.fromisoformat(created),
            done_at=datetime.fromisoformat(done) if done else None,
        )

    rows = [
        task(1, "2026-11-23T01:00+00:00", "2026-11-24T17:00+00:00", "done"),  # 11-25 01:00 local
        task(2, "2026-11-23T17:00+00:00", None),  # created 11-24 01:00 local
        task(3, "2026-11-23T01:00+00:00", None, "cancelled"),  # out of the scope
    ]
    result = burn(rows, start=date(2026, 11, 22), today=date(2026, 11, 25), zone=zone)
    assert result.days == [date(2026, 11, d) for d in (22, 23, 24, 25)]
    assert result.scope == [0, 1, 2, 2]
    assert result.done == [0, 0, 0, 1]


async def test_the_report_does_not_hold_the_event_loop(
    console: ConsoleDriver, project: Path
) -> None:
    """The spreadsheet and the charts are made in a worker thread: while ``report`` runs,
    the loop's longest stall stays far below what drawing the charts alone takes."""
    from tests.reports.test_charts import DAYS, DONE, LABELS, MARKS, SCOPE

    await console.say("report")  # warm up: imports, fonts, caches
    started = time.perf_counter()
    charts.render_burn(LABELS, DAYS, SCOPE, DONE, MARKS)
    charts.render_completion("各部门", ["研发部", "市场部"], [1, 2], [3, 4])
    drawing = time.perf_counter() - started

    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    out = await console.say("report")
    ticker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await ticker
    assert "📎 Apollo_v2-20261127-retro-burnup.png" in out
    assert max(gaps) < drawing / 2, (max(gaps), drawing)


def test_cancelled_tasks_are_counted_apart() -> None:
    """If the task workflow has a ``cancelled`` state, such tasks are neither open nor done
    nor late, and are counted on their own."""
    from commands.reports.retrospective import compute
    from storage.tables import Task

    now = datetime.fromisoformat("2026-11-27T11:00+00:00")

    def task(number: int, status: str, due: str | None) -> Task:
        return Task(
            project_id=1,
            number=number,
            title=f"T{number}",
            status=status,
            department_id=1,
            due_at=datetime.fromisoformat(due) if due else None,
            created_at=now - timedelta(days=5),
            updated_at=now,
            done_at=now - timedelta(days=1) if status == "done" else None,
        )

    rows = [
        task(1, "done", "2026-11-30T00:00+00:00"),
        task(2, "cancelled", "2026-11-24T00:00+00:00"),  # past its deadline, but cancelled
        task(3, "todo", "2026-11-25T00:00+00:00"),  # late
        task(4, "cancelled", None),
    ]
    figures = compute(rows, [], {1: "研发部"}, [], now, "(none)")
    overall = figures.overall
    assert (overall.total, overall.done, overall.cancelled) == (2, 1, 2)
    assert (overall.with_deadline, overall.late) == (2, 1)
    assert overall.completion == 0.5
    assert overall.overdue_rate == 0.5
    assert figures.by_department["研发部"].cancelled == 2

"""The ``concord`` command line, run as a user would (real processes, real SQLite files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bot


def concord(
    *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    result = concord("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"concord {bot.__version__}"


def test_upgrade_then_demo_then_board(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgraded = concord("db", "upgrade", "--db", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database at revision" in upgraded.stdout
    demo = concord("demo", "--db", url)
    assert demo.returncode == 0, demo.stderr
    assert "loaded into console chat 'console'" in demo.stdout
    again = concord("demo", "--db", url)
    assert "is already there" in again.stdout
    board = concord("console", "--db", url, stdin="board\nmy\n:as frank\nmy\n")
    assert board.returncode == 0, board.stderr
    out = board.stdout
    assert "Board — P1 618 大促 App 新版上线" in out
    assert "Needs attention" in out and "overdue" in out and "blocked: 等待技术方案评审结论" in out
    for status in ("To do", "In progress", "In review", "Done"):
        assert status in out
    assert "Open work for frank" in out and "登录模块开发" in out


def test_console_scripting_contract(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "# a comment line is ignored",
            'project new "Contract"',
            ":as bob",
            'task add "Spec" owner:@bob due:2026-12-01',
            ":in ops",
            "project bind P1",
            ":in console",
            ":as alice",
            "dept add 研发部 leader:@lead",
            ":as me",
            "task T1 raci R:@bob A:@me I:@alice,研发部",
            "task T1 start",
            ":now",
            ":advance 2h",
            ":now",
            ":click 1",
            ":bogus",
            "",
        ]
    )
    result = concord(
        "console",
        "--db",
        f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
        "--now",
        "2026-11-23T09:00",
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Created project P1 Contract" in out
    assert "Added T1 Spec — owner @bob, due 12-01." in out
    assert "This chat now follows P1 Contract." in out
    assert "[to @alice] [Contract] T1 Spec: to do → in progress (@me)" in out
    assert "[to @lead] [Contract] T1 Spec: to do → in progress (@me)" in out
    assert "2026-11-23 09:00 Asia/Shanghai (Mon)" in out
    assert "2026-11-23 11:00 Asia/Shanghai (Mon)" in out
    assert "No message with buttons yet." in out
    assert "Unknown console control “:bogus”" in out
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["console", "--locale", "fr"], "--locale must be zh-CN or en"),
        (["console", "--now", "yesterday"], "--now expects an ISO date-time"),
        (["console", "--config", "/nonexistent.toml"], "Config file not found"),
    ],
)
def test_bad_options_are_explained(args: list[str], message: str, tmp_path: Path) -> None:
    result = concord(*args, "--db", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_chinese_console(tmp_path: Path) -> None:
    result = concord(
        "console",
        "--db",
        f"sqlite+aiosqlite:///{tmp_path / 'z.db'}",
        "--locale",
        "zh-CN",
        "--as",
        "张三",
        "--chat",
        "研发群",
        stdin='项目 新建 "发布"\n任务 新建 "写文档" 截止:明天\n看板\n',
    )
    assert result.returncode == 0, result.stderr
    assert "已创建项目 P1 发布，并将本群（研发群）绑定到该项目。" in result.stdout
    assert "看板 —— P1 发布" in result.stdout

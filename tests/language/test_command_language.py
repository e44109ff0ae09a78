"""Any line a user types gets a parsed command or a clear error — never a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.console_driver import ConsoleDriver

WORDS = [
    "task",
    "任务",
    "add",
    "新建",
    "T1",
    "t1",
    "#1",
    "start",
    "done",
    "block",
    "board",
    "看板",
    "project",
    "new",
    "edit",
    "bind",
    "P1",
    "phase",
    "dept",
    "member",
    "my",
    "raci",
    "standup",
    "settings",
    "escalate",
    "E1",
    "resolve",
    "help",
    "帮助",
    "due",
    "assign",
    '"quoted title"',
    "owner:@bob",
    "due:12-05",
    "due:13-45",
    "R:@a",
    "A:@b,@c",
    "by:phase",
    "tz:Mars/Base",
    "locale:xx",
    "after:T1",
    "@bob",
    "<@U1|x>",
    "15:00",
    "「中文」",
    ":",
    "key:",
    "=",
    "/task",
    "D+3",
    "'",
    "“",
]
LINES = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(" ".join),
    st.text(max_size=60),
)
CRASH = ("Something went wrong", "系统出错")


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=LINES)
async def test_random_lines_never_crash(console: ConsoleDriver, line: str) -> None:
    await console.run('project new "Prop" depts:研发部\ntask add "First" owner:@bob')
    out = await console.say(line.replace("\n", " "))
    assert not any(marker in out for marker in CRASH), f"{line!r} → {out}"


async def test_unknown_command_suggests_the_closest(console: ConsoleDriver) -> None:
    out = await console.say("bord")
    assert "I don't know the command “bord”. Did you mean board?" in out
    out = await console.say("task strat")
    assert "`start` works on one item: say which, e.g. `task T1 start`." in out
    out = await console.say("task T1 strat")
    assert "Did you mean start?" in out
    out = await console.say("project nwe X")
    assert "“nwe” is not something `project` can do. Did you mean new?" in out


async def test_unknown_option_lists_the_allowed_ones(console: ConsoleDriver) -> None:
    await console.say('project new "P"')
    out = await console.say('task add "x" colour:red')
    assert "Unknown option “colour:”" in out and "owner" in out


async def test_leading_slash_and_chinese_words(console: ConsoleDriver) -> None:
    out = await console.run('/项目 新建 "发布"\n/任务 新建 "写文档" 负责人:@bob 截止:明天')
    assert "Created project P1 发布" in out
    assert "Added T1 写文档 — owner @bob, due 11-24." in out


async def test_help_in_both_languages(console: ConsoleDriver) -> None:
    out = await console.say("help task")
    assert 'task add "<title>" [phase:"…"]' in out and 'task T3 block "reason"' in out
    console.set_locale("zh-CN")
    out = await console.say("帮助 任务")
    assert '任务 新建 "<标题>"' in out
    out = await console.say("帮助")
    assert "看板" in out and "Concord 命令" in out

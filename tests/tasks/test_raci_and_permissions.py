"""RACI validation and who may change what (domain "Permissions")."""

from __future__ import annotations

import pytest

from bot.errors import UsageError
from commands.tasks.raci import validate_raci
from tests.console_driver import ConsoleDriver


@pytest.mark.parametrize(
    ("assignments", "key"),
    [
        ({"r": ["@a"]}, "error.raci_one_a"),
        ({"r": ["@a"], "a": ["@b", "@c"]}, "error.raci_one_a"),
        ({"a": ["@b"]}, "error.raci_need_r"),
        ({"a": ["@b"], "c": ["X"]}, "error.raci_need_r"),
    ],
)
def test_raci_needs_one_a_and_some_r(assignments: dict[str, list[str]], key: str) -> None:
    with pytest.raises(UsageError) as error:
        validate_raci(assignments)
    assert error.value.key == key


def test_valid_raci() -> None:
    validate_raci({"r": ["@a", "研发部"], "a": ["@b"], "c": [], "i": ["市场部"]})


SETUP = """
    :as pm
    dept add 研发部 leader:@lead
    dept add 市场部 leader:@mk
    member @dev dept:研发部
    member @contact dept:研发部
    project new "P" depts:研发部,市场部
    member @contact role:contact
    task add "Build" owner:@dev dept:研发部
"""


async def test_raci_via_console(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.say("task T1 raci R:@dev A:@pm,@lead")
    assert "RACI needs exactly one A (accountable); you gave 2." in out
    out = await console.say("task T1 raci R:@dev,研发部 A:@pm C:市场部 I:@mk")
    assert "RACI of T1 Build: R: @dev, 研发部 · A: @pm · C: 市场部 · I: @mk" in out
    out = await console.say("task T1 raci R:财务部 A:@pm")
    assert "There is no department “财务部”" in out
    assert "R: @dev, 研发部 · A: @pm" in await console.say("task T1")


@pytest.mark.parametrize("who", ["pm", "dev", "lead", "contact"])
async def test_allowed_to_change_a_task(console: ConsoleDriver, who: str) -> None:
    await console.run(SETUP)
    out = await console.run(f":as {who}\ntask T1 start")
    assert "T1 Build: to do → in progress" in out


@pytest.mark.parametrize("who", ["mk", "stranger"])
async def test_refused_and_told_who_may(console: ConsoleDriver, who: str) -> None:
    await console.run(SETUP)
    out = await console.run(f":as {who}\ntask T1 start")
    assert "Only @contact, @dev, @lead, @pm may change T1" in out
    assert "to do" in await console.say("task T1")


async def test_only_pm_or_sponsor_edit_the_project(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.run(':as dev\nproject edit goal:"mine"')
    assert "Only @pm may change the project P1" in out
    out = await console.run(':as pm\nproject edit goal:"Ship it" sponsor:@vp')
    assert "Updated P1: goal, sponsor." in out
    out = await console.run(":as vp\nproject edit end:2027-01-31")
    assert "Updated P1: end." in out


async def test_task_creation_is_limited_to_pm_and_department_heads(console: ConsoleDriver) -> None:
    await console.run(SETUP)
    out = await console.run(':as mk\ntask add "Campaign" dept:市场部')
    assert "Added T2 Campaign" in out
    out = await console.run(':as mk\ntask add "Sneaky" dept:研发部')
    assert "Only @contact, @lead, @pm may change a new task in this department" in out

"""The task state machine (domain §1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import Conflict
from commands.tasks.states import OPEN, next_status

ALLOWED = {
    ("todo", "start"): "in_progress",
    ("in_review", "start"): "in_progress",
    ("in_progress", "review"): "in_review",
    ("in_progress", "done"): "done",
    ("in_review", "done"): "done",
    ("done", "reopen"): "in_progress",
    ("todo", "block"): "blocked",
    ("in_progress", "block"): "blocked",
    ("in_review", "block"): "blocked",
}
STATUSES = ["todo", "in_progress", "in_review", "blocked", "done"]
EVENTS = ["start", "review", "done", "block", "unblock", "reopen"]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("event", [e for e in EVENTS if e != "unblock"])
def test_transition_table(status: str, event: str) -> None:
    expected = ALLOWED.get((status, event))
    if expected is None:
        with pytest.raises(Conflict):
            next_status(status, event)
    else:
        assert next_status(status, event) == expected


@pytest.mark.parametrize("before", OPEN)
def test_unblock_returns_to_the_previous_state(before: str) -> None:
    assert next_status("blocked", "unblock", before_block=before) == before


def test_unblock_only_from_blocked() -> None:
    with pytest.raises(Conflict):
        next_status("todo", "unblock")


@given(st.lists(st.sampled_from(EVENTS), max_size=30))
def test_any_event_sequence_keeps_a_valid_state(events: list[str]) -> None:
    status, before = "todo", None
    for event in events:
        try:
            new = next_status(status, event, before_block=before)
        except Conflict:
            continue
        if new == "blocked":
            before = status
        elif status == "blocked":
            assert new == before
            before = None
        status = new
        assert status in STATUSES


async def test_blocked_time_is_accumulated(console: object) -> None:
    from bot.main import App
    from tests.console_driver import ConsoleDriver

    assert isinstance(console, ConsoleDriver)
    app: App = console.app
    await console.run("""
        project new "P"
        task add "A" owner:@me
        task T1 start
        task T1 block "waiting"
        :advance 3h
        task T1 unblock
    """)
    from sqlmodel import select

    from storage.tables import Task

    async with app.sessions() as session:
        task = (await session.exec(select(Task))).one()
    assert task.status == "in_progress"
    assert task.blocked_seconds == 3 * 3600

"""The task state machine (domain §1): todo → in_progress → in_review → done; ``blocked`` from
any open state and back to the state it came from; ``reopen`` takes a done task back."""

from __future__ import annotations

from bot.errors import Conflict

STATUSES = ("todo", "in_progress", "in_review", "blocked", "done")
OPEN = ("todo", "in_progress", "in_review")

# event → {from state: to state}
TRANSITIONS: dict[str, dict[str, str]] = {
    "start": {"todo": "in_progress", "in_review": "in_progress"},
    "review": {"in_progress": "in_review"},
    "done": {"in_progress": "done", "in_review": "done"},
    "reopen": {"done": "in_progress"},
}


def next_status(current: str, event: str, *, before_block: str | None = None) -> str:
    """The state after ``event``; raises ``Conflict`` (with the allowed states) if not allowed."""
    if event == "block":
        if current not in OPEN:
            raise Conflict(
                "error.task_transition", event=event, status=current, allowed=",".join(OPEN)
            )
        return "blocked"
    if event == "unblock":
        if current != "blocked":
            raise Conflict("error.task_transition", event=event, status=current, allowed="blocked")
        return before_block or "todo"
    table = TRANSITIONS[event]
    if current not in table:
        raise Conflict(
            "error.task_transition", event=event, status=current, allowed=",".join(table)
        )
    return table[current]

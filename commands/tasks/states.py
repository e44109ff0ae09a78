"""The task state machine (domain §1): todo → in_progress → in_review → done; ``blocked`` from
any open state and back to the state it came from; ``reopen`` takes a done task back."""

from __future__ import annotations

from bot.errors import Conflict
from storage.tables import TaskStatus

OPEN = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW)

# event → {from state: to state}
TRANSITIONS: dict[str, dict[str, str]] = {
    "start": {
        TaskStatus.TODO: TaskStatus.IN_PROGRESS,
        TaskStatus.IN_REVIEW: TaskStatus.IN_PROGRESS,
    },
    "review": {TaskStatus.IN_PROGRESS: TaskStatus.IN_REVIEW},
    "done": {TaskStatus.IN_PROGRESS: TaskStatus.DONE, TaskStatus.IN_REVIEW: TaskStatus.DONE},
    "reopen": {TaskStatus.DONE: TaskStatus.IN_PROGRESS},
}


def next_status(current: str, event: str, *, before_block: str | None = None) -> str:
    """The state after ``event``; raises ``Conflict`` (with the allowed states) if not allowed."""
    if event == "block":
        if current not in OPEN:
            raise Conflict(
                "error.task_transition", event=event, status=current, allowed=",".join(OPEN)
            )
        return TaskStatus.BLOCKED
    if event == "unblock":
        if current != TaskStatus.BLOCKED:
            raise Conflict(
                "error.task_transition", event=event, status=current, allowed=TaskStatus.BLOCKED
            )
        return before_block or TaskStatus.TODO
    table = TRANSITIONS[event]
    if current not in table:
        raise Conflict(
            "error.task_transition", event=event, status=current, allowed=",".join(table)
        )
    return table[current]

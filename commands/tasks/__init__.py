"""Tasks (domain §1): the ``task`` verbs, the state machine, RACI, the board views and the task reminders."""

from __future__ import annotations

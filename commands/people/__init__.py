"""People and places: departments, members, chat settings and the opt-in daily reminders."""

from __future__ import annotations

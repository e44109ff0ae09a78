"""Time: the injected clock and the working-day calendars."""

from __future__ import annotations

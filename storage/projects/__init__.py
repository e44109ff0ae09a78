"""Projects, their roles, departments and phases, and per-project item numbers."""

from __future__ import annotations

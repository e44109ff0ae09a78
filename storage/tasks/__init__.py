"""Tasks, their dependencies, history and RACI."""

from __future__ import annotations

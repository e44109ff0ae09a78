"""Parsing of command text: tokens, dates, times and durations."""

from __future__ import annotations

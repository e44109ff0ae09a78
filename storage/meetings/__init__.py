"""Meetings, participants, agenda items and decisions."""

from __future__ import annotations

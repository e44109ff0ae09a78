"""Meetings (domain §4): scheduling, agenda, decisions, action items, minutes and the meeting job."""

from __future__ import annotations

"""Escalations and the items they are about."""

from __future__ import annotations

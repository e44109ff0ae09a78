"""Stored inbound events and the per-chat lanes that order them."""

from __future__ import annotations

"""The audit log of every state change."""

from __future__ import annotations

"""Resource requests and approval steps."""

from __future__ import annotations

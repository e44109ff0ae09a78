"""The communication plan's items."""

from __future__ import annotations

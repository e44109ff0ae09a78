"""Persistence: SQLModel tables and keyword-only data-access functions.

Imports nothing of Concord's own (not ``bot``, ``commands`` or ``adapters``) and no platform
SDK. Times are stored as naive UTC datetimes; callers convert at the edges.
"""

from __future__ import annotations

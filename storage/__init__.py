"""Persistence: SQLModel tables and keyword-only data-access functions.

Imports nothing of Concord's own (not ``bot``, ``commands`` or ``adapters``) and no platform
SDK. Times are aware UTC datetimes (SQLModel's UTC type: ``timestamptz`` on PostgreSQL).
"""

from __future__ import annotations

"""The outbox, the notification ledger and card references: what goes out, once, and where it went."""

from __future__ import annotations

"""The issue tracker (domain §2): report, triage, the closed loop, lists, statistics and the SLA watch."""

from __future__ import annotations

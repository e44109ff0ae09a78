"""Resource requests and the approval machinery they share with charter sign-off (domain §3)."""

from __future__ import annotations

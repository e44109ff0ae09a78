"""The escalation ladder (domain §5): the ``escalate`` verbs and the ladder's tick."""

from __future__ import annotations

"""The inbound half of the framework: the durable inbox, dispatch to commands, the command context and people's profiles."""

from __future__ import annotations

"""The outbound half of the framework: delivery through the platform port, broadcasts, audiences and rate limits."""

from __future__ import annotations

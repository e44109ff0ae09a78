"""The console adapter: the embedded default and the demo. Scripts drive it through stdin."""

from __future__ import annotations

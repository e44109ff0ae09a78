"""Issues, the departments involved and their timelines."""

from __future__ import annotations

"""Read models for reports: the weekly digest and the retrospective export."""

from __future__ import annotations

"""Reports: the weekly digest and the retrospective (domain §1, §6)."""

from __future__ import annotations

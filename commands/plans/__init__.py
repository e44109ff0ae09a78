"""The communication plan (domain §6): recurring communication items and their job."""

from __future__ import annotations

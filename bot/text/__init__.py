"""Words and messages: the locale catalogs, the neutral message model and the builder that renders into it."""

from __future__ import annotations

"""Projects and phases: create, show, edit, bind; the charter sign-off."""

from __future__ import annotations

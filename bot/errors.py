"""The error tree of Concord's core. Every user-facing error carries a locale key.

    ConcordError
    ├── UserError            — the user did something we must explain (never logged as a failure)
    │   ├── UsageError       — malformed command: adds the usage line and a close match
    │   ├── PermissionDenied — adds who may do it
    │   ├── NotFound         — a referenced item does not exist
    │   └── Conflict         — the item's state does not allow the action
    └── ConfigError          — the configuration is missing or wrong (start-up only)

The dispatcher is the single translation point: it renders ``key`` with ``params`` from the
locale catalogs. Anything that is not a ``UserError`` becomes "something went wrong (ref …)"
and is logged with the same reference.
"""

from __future__ import annotations

from typing import Any


class ConcordError(Exception):
    """Base of all Concord errors."""


class UserError(ConcordError):
    """An error whose text the user sees; ``key`` names a locale message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, {self.params!r})"


class UsageError(UserError):
    """A malformed command. ``usage`` is a help key (e.g. ``task.add``) shown under the text."""

    def __init__(self, key: str, *, usage: str | None = None, **params: Any) -> None:
        super().__init__(key, **params)
        self.usage = usage


class PermissionDenied(UserError):
    """The speaker may not do this; ``params['who']`` says who may."""


class NotFound(UserError):
    """A referenced item (task, project, member …) does not exist."""


class Conflict(UserError):
    """The action does not fit the item's current state."""


class ConfigError(ConcordError):
    """Configuration is missing or invalid; raised at start-up with a readable message."""

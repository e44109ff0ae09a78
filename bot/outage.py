"""One log line when a dependency goes away and one when it is back — not one per request.

An outage of the database turns every request, delivery pass and tick into the same error;
a traceback for each (780 in 30 s, seen in a fault test) hides everything else in the log.
"""

from __future__ import annotations

import logging
import time


class OutageLog:
    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.logger = logger
        self.what = what
        self.failures = 0
        self._since: float | None = None

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        if self._since is None:
            self._since = time.monotonic()
            self.logger.error("%s unreachable: %s", self.what, _short(error))

    def recovered(self) -> None:
        if self._since is None:
            return
        lasted = time.monotonic() - self._since
        self.logger.warning(
            "%s reachable again after %.1f s (%d failed attempts meanwhile)",
            self.what,
            lasted,
            self.failures,
        )
        self._since, self.failures = None, 0


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}"[:300]

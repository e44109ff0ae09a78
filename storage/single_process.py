"""One process per SQLite file: SQLite has no row locks, so two Concord processes on one
file would each send every digest and reminder. The second one is refused at start-up."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class DatabaseInUse(Exception):
    """Another process holds the SQLite file."""


@dataclass
class _Held:
    handle: int
    users: int


_held: dict[Path, _Held] = {}  # this process may open one file from several apps (tests)


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def acquire(url: str) -> Path | None:
    """Lock the SQLite file of ``url`` for this process (no-op for other databases)."""
    path = sqlite_path(url)
    if path is None:
        return None
    lock = path.with_name(path.name + ".lock")
    if lock in _held:
        _held[lock].users += 1
        return lock
    handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(handle, 32, 0).decode(errors="replace").strip() or "?"
        os.close(handle)
        raise DatabaseInUse(
            f"Another Concord process (pid {holder}) is using {path}. SQLite allows one "
            "process: stop the other one, or use PostgreSQL to run several replicas."
        ) from None
    os.ftruncate(handle, 0)
    os.pwrite(handle, str(os.getpid()).encode(), 0)
    _held[lock] = _Held(handle, 1)
    return lock


def release(lock: Path | None) -> None:
    if lock is None or lock not in _held:
        return
    held = _held[lock]
    held.users -= 1
    if held.users == 0:
        del _held[lock]
        fcntl.flock(held.handle, fcntl.LOCK_UN)
        os.close(held.handle)

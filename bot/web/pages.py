"""The port between the web board (``adapters/web``) and the project data behind it.

The adapter knows HTTP and HTML, not the store: it asks a ``BoardSource`` (built in
``commands``, wired by ``bot.main``) for one project's page as plain data, already in the
reader's language and time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

View = Literal["board", "issues", "approvals"]
VIEWS: tuple[View, ...] = ("board", "issues", "approvals")


@dataclass(frozen=True)
class Card:
    ref: str  # T3
    title: str
    owner: str
    department: str
    due: str  # "11-26", "" without a deadline
    overdue: bool = False
    blocked: bool = False
    note: str = ""  # the reason it is blocked


@dataclass(frozen=True)
class Column:
    status: str  # the state's key (todo, in_progress …): the page's CSS hook
    title: str  # its name in the reader's language
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Row:
    """One line of the issues or approvals table: its cells in column order."""

    cells: tuple[str, ...]
    late: bool = False  # an SLA missed, a decision past its deadline


@dataclass(frozen=True)
class Page:
    project: str  # "P1 Apollo"
    generated: str  # when the data was read, in the reader's time zone
    columns: tuple[Column, ...] = ()  # the board
    headers: tuple[str, ...] = ()  # the issues / approvals table
    rows: tuple[Row, ...] = ()
    summary: tuple[tuple[str, str], ...] = field(default=())  # (label, value) above the page


class BoardSource(Protocol):
    async def page(self, project_id: int, view: View, *, locale: str, zone: str) -> Page | None:
        """The page, or None when the project does not exist (any more)."""
        ...

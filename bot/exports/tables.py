"""A neutral table with typed columns: what the XLSX and CSV writers turn into files.

Cells keep their type (a date is a ``date``, a rate a fraction 0–1 in a ``percent``
column), so a spreadsheet gets real dates and percentages, not text that looks like them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Cell = str | int | float | date | datetime | None
Kind = Literal["text", "int", "number", "percent", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"


@dataclass
class Table:
    """One sheet of a workbook (``name``, at most 31 characters there) or a CSV section."""

    name: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    totals: tuple[Cell, ...] | None = None  # a last, bold row

    def add(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.name}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)


MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIME_CSV = "text/csv"
MIME_PNG = "image/png"

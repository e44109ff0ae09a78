"""Tables → one CSV file: each table under its name, a blank line between tables.

UTF-8 with a byte-order mark, so Excel opens Chinese text right. Percentages are written
as ``33.3%``, dates as ``2026-11-26``, instants as ``2026-11-26 15:00`` (the chat's time).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime

from bot.exports.tables import Cell, Column, Table


def csv_file(tables: Sequence[Table]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for number, table in enumerate(tables):
        if number:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([table.name])
        writer.writerow([c.title for c in table.columns])
        rows = [*table.rows, *([table.totals] if table.totals is not None else [])]
        for row in rows:
            writer.writerow([_text(v, c) for v, c in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _text(value: Cell, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "percent" and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if column.kind == "number" and isinstance(value, int | float):
        return f"{value:.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

"""Tables → an XLSX workbook (openpyxl): one sheet per table, typed cells (dates as dates,
rates as percentages), a bold frozen header row, and column widths that fit the content
(CJK characters count double, as they are drawn)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.exports.tables import Cell, Column, Table

FORMATS = {
    "int": "0",
    "number": "0.0",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
MAX_WIDTH = 60
BAD_SHEET_CHARS = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def workbook(tables: Sequence[Table]) -> bytes:
    book = Workbook()
    default = book.active
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.name, used))
        _fill(sheet, table)
    if default is not None:
        book.remove(default)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, table: Table) -> None:
    bold = Font(bold=True)
    sheet.append([c.title for c in table.columns])
    for cell in sheet[1]:
        cell.font = bold
    rows = list(table.rows)
    for row in rows:
        sheet.append([_value(v) for v in row])
    if table.totals is not None:
        sheet.append([_value(v) for v in table.totals])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        rows.append(table.totals)
    for index, column in enumerate(table.columns, 1):
        number_format = FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        widest = max([_width(column.title)] + [_shown_width(r[index - 1], column) for r in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(widest + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"


def _value(value: Cell) -> Cell:
    # Excel has no time zones: an aware instant is written as the wall time it carries.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _shown_width(value: Cell, column: Column) -> int:
    if value is None:
        return 0
    if column.kind == "date":
        return 10
    if column.kind == "datetime":
        return 16
    if column.kind == "percent" and isinstance(value, int | float):
        return len(f"{value * 100:.1f}%")
    if column.kind == "number" and isinstance(value, int | float):
        return len(f"{value:.1f}")
    return _width(str(value))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(name: str, used: set[str]) -> str:
    base = name.translate(BAD_SHEET_CHARS).strip("'")[:31] or "Sheet"
    candidate, number = base, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate

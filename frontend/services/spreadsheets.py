"""A table as CSV (UTF-8 with a byte-order mark, formula-looking text quoted) or as an Excel
workbook (openpyxl): what the app's downloads are made of."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Table:
    """What a download holds: its title, (key, header) columns and rows."""

    title: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[Mapping[str, Any]]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in table.columns])
    for row in table.rows:
        writer.writerow([_csv_safe(_cell(row.get(key, ""))) for key, _ in table.columns])
    return ("\ufeff" + out.getvalue()).encode()  # the mark lets spreadsheets read UTF-8


def _csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is quoted with a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = table.title[:31]
    sheet.append([header for _, header in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_csv_safe(_cell(row.get(key, ""))) for key, _ in table.columns])
    for index, (_, header) in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(header) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

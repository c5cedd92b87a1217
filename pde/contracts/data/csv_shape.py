"""The shape of a CSV file: every line has as many fields as the header.

Columnar readers fill a short (truncated or ragged) line with nulls and go on, so a cut file
reads as valid data with empty cells. This check reads the file once with the standard CSV
parser (quotes and embedded separators handled) and reports the offending lines by number.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

SHOWN = 5  # offending lines quoted in a message


@dataclass(frozen=True)
class RaggedLines:
    """Lines whose field count differs from the header's."""

    file: str
    header_fields: int
    lines: tuple[tuple[int, int], ...]  # (line number, fields), the first SHOWN
    count: int
    column: str | None  # the first column the first short line lacks; None when it is long

    def describe(self) -> str:
        shown = ", ".join(f"line {line} has {fields}" for line, fields in self.lines)
        more = f", and {self.count - len(self.lines)} more" if self.count > len(self.lines) else ""
        line = self.lines[0][0]
        where = (
            f"line {line} ends before column {self.column!r}"
            if self.column is not None
            else f"line {line} has more fields than the header"
        )
        return (
            f"{self.file} {where}: {self.count} line{'s' if self.count != 1 else ''} with a "
            f"wrong number of fields (the header has {self.header_fields}; {shown}{more}); "
            "the file is truncated or ragged"
        )


def ragged_lines(path: Path) -> RaggedLines | None:
    """None when every data line has the header's field count (blank lines are skipped)."""
    found: list[tuple[int, int]] = []
    count = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return None
        width = len(header)
        for row in reader:
            if not row or len(row) == width:
                continue
            count += 1
            if len(found) < SHOWN:
                found.append((reader.line_num, len(row)))
    if count == 0:
        return None
    short = found[0][1]
    column = header[short] if short < width else None
    return RaggedLines(path.name, width, tuple(found), count, column)

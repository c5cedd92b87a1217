"""Parsing of the CLI's date options."""

from __future__ import annotations

from datetime import date, datetime

import typer


def parse_date(value: str | None) -> date | None:
    """YYYY-MM-DD to a date; None stays None; anything else is a usage error naming the value."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None

"""Reading and writing canonical data directories (CSV or Parquet), validated on the way in.

Each file is read once; validation works on the frame in memory (see `validate`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import polars as pl

from pde.contracts.data.atomic import atomic_directory
from pde.contracts.data.csv_shape import ragged_lines
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.schema import CUSTOMERS, PAYMENTS, TABLES, TRANSACTIONS, Table
from pde.contracts.data.validate import (
    POLARS_DTYPES,
    Problem,
    check_references,
    drop_rows,
    raise_if_any,
    validate_table,
)
from pde.contracts.interventions import INTERVENTIONS
from pde.core.errors import PdeError

logger = logging.getLogger(__name__)

Format = Literal["parquet", "csv"]
PARQUET_COMPRESSION: Literal["zstd"] = "zstd"
# Every file a dataset writer may produce: replaced as one set, never mixed with an older set.
DATASET_FILES = frozenset(
    [f"{name}.{ext}" for name in TABLES for ext in ("parquet", "csv")]
    + ["truth.parquet", "simulation.json", "import.json", "extract.json"]
    + ["interventions.parquet", "interventions.csv", "uplift_truth.parquet"]
)
EXTRACT_FILE = "extract.json"  # {"extracted_on": "YYYY-MM-DD"}: when the bank exported the data


def extraction_date(directory: Path) -> date:
    """The date the data was extracted (`extract.json`), or today (UTC) when it does not say.

    No event in the data may be dated after it."""
    path = directory / EXTRACT_FILE
    if not path.is_file():
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(json.loads(path.read_text())["extracted_on"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PdeError(
            f'{path}: expected {{"extracted_on": "YYYY-MM-DD"}} ({type(exc).__name__}: {exc})'
        ) from None


def write_extraction_date(directory: Path, extracted_on: date) -> None:
    (directory / EXTRACT_FILE).write_text(
        json.dumps({"extracted_on": extracted_on.isoformat()}) + "\n"
    )


def empty_frame(table: Table) -> pl.DataFrame:
    """A frame with no rows and the table's columns and dtypes."""
    return pl.DataFrame(schema={c.name: POLARS_DTYPES[c.dtype] for c in table.columns})


def table_file(directory: Path, name: str) -> Path | None:
    """`<name>.parquet` or `<name>.csv` in `directory`; None when neither exists."""
    found = [directory / f"{name}.{ext}" for ext in ("parquet", "csv")]
    present = [p for p in found if p.is_file()]
    if len(present) > 1:
        raise PdeError(f"{directory}: both {name}.parquet and {name}.csv exist; keep only one")
    return present[0] if present else None


def read_raw(path: Path) -> pl.DataFrame:
    """The file as it is: CSV columns all as text (parsed later, with row numbers on failure).

    A CSV line with more or fewer fields than the header (a truncated or ragged file) is an
    error naming the file, the line and the column."""
    try:
        if path.suffix == ".csv":
            ragged = ragged_lines(path)
            if ragged is not None:
                raise PdeError(ragged.describe())
            return pl.read_csv(path, infer_schema=False, raise_if_empty=False)
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PdeError(f"{path.name}: cannot be read: {first}") from exc


def load_table(
    directory: Path, table: Table, *, optional: bool = False, extracted_on: date | None = None
) -> tuple[pl.DataFrame, str]:
    """Reads and validates one table; returns the frame (with row numbers) and its file name.

    Events dated after `extracted_on` (default: the directory's extraction date) are errors."""
    path = table_file(directory, table.name)
    if path is None:
        if optional:
            return empty_frame(table).with_row_index("__row__", offset=1), table.name
        raise PdeError(f"{directory}: no {table.name}.parquet or {table.name}.csv")
    raw = read_raw(path)
    when = extracted_on if extracted_on is not None else extraction_date(directory)
    frame, problems = validate_table(raw, table, path.name, extracted_on=when)
    raise_if_any(problems)
    logger.info("read %s: %d rows", path.name, frame.height)
    return frame, path.name


def load_dataset(path: Path) -> CanonicalData:
    """Loads and validates a canonical data directory.

    `customers` and `payments` must exist; `transactions` may be absent (empty frame). Raises
    `DataValidationError` naming file, row and column of the first offenders of every rule.
    """
    if not path.is_dir():
        raise PdeError(f"{path}: not a directory")
    extracted_on = extraction_date(path)
    customers, _ = load_table(path, CUSTOMERS, extracted_on=extracted_on)
    ids = customers.get_column("customer_id")
    problems: list[Problem] = []
    frames: dict[str, pl.DataFrame] = {}
    for table, optional in ((TRANSACTIONS, True), (PAYMENTS, False)):
        frame, file = load_table(path, table, optional=optional, extracted_on=extracted_on)
        problems += check_references(frame, ids, file)
        frames[table.name] = drop_rows(frame)
    raise_if_any(problems)
    return CanonicalData(
        customers=drop_rows(customers),
        transactions=frames["transactions"],
        payments=frames["payments"],
    )


def validate_dataset(
    data: CanonicalData, *, extracted_on: date | None = None, source: str | None = None
) -> None:
    """Runs the same checks as `load_dataset` on frames already in memory.

    Events after `extracted_on` (default today, UTC) are errors. Messages name each table as
    `<table> (in memory)`, or `<source> (as <table>)` for tables derived from an input file whose
    rows the frames carry (a `__row__` column, so messages name the input's own rows)."""

    def label(name: str) -> str:
        return f"{source} (as {name})" if source else f"{name} (in memory)"

    problems: list[Problem] = []
    frames = {}
    when = extracted_on if extracted_on is not None else datetime.now(UTC).date()
    for name, table in TABLES.items():
        frame, found = validate_table(getattr(data, name), table, label(name), extracted_on=when)
        problems += found
        frames[name] = frame
    if not problems:
        ids = frames["customers"].get_column("customer_id")
        for name in ("transactions", "payments"):
            problems += check_references(frames[name], ids, label(name))
    raise_if_any(problems)


def write_table(frame: pl.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S%.f", date_format="%Y-%m-%d")
    else:
        frame.write_parquet(path, compression=PARQUET_COMPRESSION, statistics=True)


def write_dataset(data: CanonicalData, path: Path, fmt: Format = "parquet") -> None:
    """Validates and writes the three tables to `path` as one atomic replacement."""
    validate_dataset(data)
    with atomic_directory(path, owned=DATASET_FILES) as staging:
        for name in TABLES:
            write_table(getattr(data, name), staging / f"{name}.{fmt}")
    logger.info("wrote %s (%s)", path, fmt)


def load_interventions(directory: Path) -> pl.DataFrame | None:
    """`interventions.parquet` (or `.csv`) of a data directory, validated; None when absent.

    Raises `DataValidationError` naming the file, row and column of bad values."""
    path = table_file(directory, INTERVENTIONS.name)
    if path is None:
        return None
    frame, problems = validate_table(
        read_raw(path), INTERVENTIONS, path.name, extracted_on=extraction_date(directory)
    )
    raise_if_any(problems)
    return drop_rows(frame)

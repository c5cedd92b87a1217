"""Validation of canonical tables: coercion to the schema's dtypes and every rule it states.

Each check returns `Problem`s (file, column, first offending rows, count, examples) instead of
raising, so one `DataValidationError` can list everything wrong with a directory at once. Rows
are 1-based data rows of the file (a CSV header is not counted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from pde.contracts.data.schema import Column, Table
from pde.core.errors import PdeError

SHOWN = 5  # offending rows and values quoted per problem

POLARS_DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
}
_ROW = "__row__"
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
)


@dataclass(frozen=True)
class Problem:
    """One rule broken in one column of one file."""

    file: str
    column: str | None
    what: str
    rows: tuple[int, ...] = ()
    count: int = 0
    examples: tuple[str, ...] = ()

    def describe(self) -> str:
        where = self.file
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = ", ..." if self.count > len(self.rows) else ""
            where += f" row {shown}{more} ({self.count} row{'s' if self.count != 1 else ''})"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{where}: {self.what}"
        if self.examples:
            text += f" (e.g. {', '.join(self.examples)})"
        return text


class DataValidationError(PdeError):
    """A canonical data file breaks the schema; the message names file, row and column."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [p.describe() for p in self.problems]
        head = "invalid data" if len(lines) == 1 else f"invalid data ({len(lines)} problems)"
        super().__init__(head + ": " + "\n  ".join(lines))


def raise_if_any(problems: Sequence[Problem]) -> None:
    if problems:
        raise DataValidationError(problems)


def offenders(
    frame: pl.DataFrame, bad: pl.Expr, *, file: str, column: str | None, what: str
) -> list[Problem]:
    """A problem listing the rows of `frame` (which has a row column) where `bad` is true."""
    hits = frame.lazy().filter(bad.fill_null(False)).select(_ROW, *([column] if column else []))
    found = hits.collect()
    if found.height == 0:
        return []
    examples: tuple[str, ...] = ()
    if column is not None:
        values = found.get_column(column).head(SHOWN * 20).unique(maintain_order=True)
        examples = tuple(repr(v) for v in values.head(3).to_list())
    rows = tuple(int(r) for r in found.get_column(_ROW).head(SHOWN).to_list())
    return [Problem(file, column, what, rows, found.height, examples)]


def with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Numbers the data rows from 1, unless a reader numbered them already (before filtering
    a partition out of a file, so that messages still name the file's own rows)."""
    return frame if _ROW in frame.columns else frame.with_row_index(_ROW, offset=1)


def drop_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop(_ROW)


def check_columns(names: Sequence[str], table: Table, file: str) -> list[Problem]:
    """Missing required columns and columns the schema does not know."""
    problems = [
        Problem(file, c.name, "missing required column")
        for c in table.columns
        if c.required and c.name not in names
    ]
    known = {*table.names, _ROW}
    problems += [
        Problem(file, n, f"unknown column (expected: {', '.join(table.names)})")
        for n in names
        if n not in known
    ]
    duplicated = sorted({n for n in names if list(names).count(n) > 1})
    problems += [Problem(file, n, "column appears more than once") for n in duplicated]
    return problems


def _parse_strings(raw: pl.Expr, dtype: str) -> tuple[pl.Expr, str]:
    text = raw.str.strip_chars()
    if dtype == "string":
        return raw, ""
    if dtype == "int":
        number = text.cast(pl.Float64, strict=False)
        integral = number.is_finite() & (number == number.round(0))
        return pl.when(integral).then(number).cast(pl.Int64), "not an integer"
    if dtype == "float":
        return text.cast(pl.Float64, strict=False), "not a number"
    if dtype == "bool":
        lower = text.str.to_lowercase()
        flag = pl.when(lower.is_in(_TRUE)).then(True).when(lower.is_in(_FALSE)).then(False)
        return flag, "not a boolean (true/false)"
    if dtype == "date":
        return text.str.to_date("%Y-%m-%d", strict=False), "not a date (expected YYYY-MM-DD)"
    stamp = pl.coalesce(
        [text.str.to_datetime(f, strict=False, time_unit="us") for f in _DATETIME_FORMATS]
    )
    return stamp, "not a timestamp (expected YYYY-MM-DD HH:MM:SS)"


def _convert(raw: pl.Expr, source: pl.DataType, dtype: str) -> tuple[pl.Expr, str] | None:
    """An expression turning a column of dtype `source` into the schema dtype, or None."""
    if source == pl.String or isinstance(source, pl.Categorical | pl.Enum):
        return _parse_strings(raw.cast(pl.String), dtype)
    if source == pl.Null:
        return raw.cast(POLARS_DTYPES[dtype]), ""
    numeric = source.is_numeric()
    if dtype == "string" and source.is_integer():
        return raw.cast(pl.String), ""
    if dtype in ("int", "float") and numeric:
        if dtype == "int" and source.is_float():
            integral = raw.is_finite() & (raw == raw.round(0))
            return pl.when(integral).then(raw).cast(pl.Int64), "not an integer"
        return raw.cast(POLARS_DTYPES[dtype]), ""
    if dtype == "bool" and (source == pl.Boolean or source.is_integer()):
        if source == pl.Boolean:
            return raw, ""
        return pl.when(raw == 1).then(True).when(raw == 0).then(False), "not a boolean (0/1)"
    if dtype == "date" and source == pl.Date:
        return raw, ""
    if dtype == "date" and isinstance(source, pl.Datetime):
        return raw.dt.date(), ""
    if dtype == "datetime" and isinstance(source, pl.Datetime):
        naive = raw.dt.replace_time_zone(None) if source.time_zone else raw
        return naive.cast(pl.Datetime("us")), ""
    if dtype == "datetime" and source == pl.Date:
        return raw.cast(pl.Datetime("us")), ""
    return None


def coerce(frame: pl.DataFrame, table: Table, file: str) -> tuple[pl.DataFrame, list[Problem]]:
    """Casts a raw frame (with row numbers) to the schema's dtypes; reports what will not cast.

    Optional columns that are absent are added as nulls. Columns come back in schema order.
    """
    problems: list[Problem] = []
    exprs: list[pl.Expr] = []
    failed: list[tuple[Column, pl.Expr, str]] = []
    for column in table.columns:
        target = POLARS_DTYPES[column.dtype]
        if column.name not in frame.columns:
            exprs.append(pl.lit(None, dtype=target).alias(column.name))
            continue
        source = frame.schema[column.name]
        converted = _convert(pl.col(column.name), source, column.dtype)
        if converted is None:
            problems.append(
                Problem(file, column.name, f"has type {source}, expected {column.dtype}")
            )
            continue
        expr, failure = converted
        exprs.append(expr.alias(column.name))
        if failure:
            failed.append((column, expr, failure))
    if problems:
        return frame, problems
    for column, expr, failure in failed:
        bad = pl.col(column.name).is_not_null() & expr.is_null()
        problems += offenders(frame, bad, file=file, column=column.name, what=failure)
    return frame.select(_ROW, *exprs), problems


def check_values(frame: pl.DataFrame, table: Table, file: str) -> list[Problem]:
    """Nulls where none are allowed, values outside the allowed set, below minimum, non-finite."""
    problems: list[Problem] = []
    for c in table.columns:
        col = pl.col(c.name)
        if not c.nullable:
            problems += offenders(frame, col.is_null(), file=file, column=c.name, what="missing")
        if c.allowed:
            problems += offenders(
                frame,
                col.is_not_null() & ~col.is_in(c.allowed),
                file=file,
                column=c.name,
                what=f"not an allowed value (allowed: {', '.join(c.allowed)})",
            )
        if c.dtype == "float":
            what = "not a finite number"
            problems += offenders(frame, ~col.is_finite(), file=file, column=c.name, what=what)
        if c.minimum is not None:
            what = f"below the minimum {c.minimum:g}"
            problems += offenders(frame, col < c.minimum, file=file, column=c.name, what=what)
    return problems


def check_key(frame: pl.DataFrame, table: Table, file: str) -> list[Problem]:
    """Rows sharing a key with another row (every such row is reported)."""
    key = list(table.key)
    dup = pl.struct(key).is_duplicated() if len(key) > 1 else pl.col(key[0]).is_duplicated()
    what = f"duplicated key {'+'.join(key)}"
    return offenders(frame, dup, file=file, column=key[0], what=what)


def check_references(frame: pl.DataFrame, customer_ids: pl.Series, file: str) -> list[Problem]:
    """Rows whose customer_id is not in the customers table."""
    unknown = ~pl.col("customer_id").is_in(customer_ids.implode())
    return offenders(
        frame, unknown, file=file, column="customer_id", what="unknown customer (not in customers)"
    )


# The column that dates each table's events; none may come after the data was extracted.
EVENT_DATES = {"customers": "open_date", "transactions": "timestamp", "payments": "paid_date"}


def check_extraction(
    frame: pl.DataFrame, table: Table, file: str, extracted_on: date
) -> list[Problem]:
    """Events dated after the extraction date (a due date may lie ahead; a payment may not)."""
    column = EVENT_DATES.get(table.name)
    if column is None or column not in frame.columns:
        return []
    value = pl.col(column)
    day = value.dt.date() if frame.schema[column] == pl.Datetime("us") else value
    what = f"dated after the data's extraction date {extracted_on.isoformat()}"
    return offenders(frame, day > extracted_on, file=file, column=column, what=what)


Rule = Callable[[pl.DataFrame, str], list[Problem]]


def _customer_rules(frame: pl.DataFrame, file: str) -> list[Problem]:
    born_late = pl.col("birth_year") > pl.col("open_date").dt.year()
    what = "birth_year after the year of open_date"
    return offenders(frame, born_late, file=file, column="birth_year", what=what)


def _payment_rules(frame: pl.DataFrame, file: str) -> list[Problem]:
    paid_without_date = pl.col("paid_date").is_null() & (pl.col("amount_paid") > 0)
    status_without_debit = ~pl.col("auto_debit") & pl.col("auto_debit_status").is_not_null()
    debit_without_status = pl.col("auto_debit") & pl.col("auto_debit_status").is_null()
    return [
        *offenders(
            frame,
            paid_without_date,
            file=file,
            column="amount_paid",
            what="amount paid but no paid_date",
        ),
        *offenders(
            frame,
            status_without_debit,
            file=file,
            column="auto_debit_status",
            what="status given but auto_debit is false",
        ),
        *offenders(
            frame,
            debit_without_status,
            file=file,
            column="auto_debit_status",
            what="missing while auto_debit is true",
        ),
    ]


TABLE_RULES: dict[str, Rule] = {"customers": _customer_rules, "payments": _payment_rules}


def validate_table(
    raw: pl.DataFrame, table: Table, file: str, *, extracted_on: date | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """Every single-table check; returns the coerced frame (schema dtypes) and the problems.

    With `extracted_on`, events dated after it are problems too."""
    problems = check_columns(raw.columns, table, file)
    if problems:
        return raw, problems
    frame, problems = coerce(with_rows(raw), table, file)
    if problems:
        return raw, problems
    problems += check_values(frame, table, file)
    problems += check_key(frame, table, file)
    if extracted_on is not None:
        problems += check_extraction(frame, table, file, extracted_on)
    rule = TABLE_RULES.get(table.name)
    if rule is not None and not problems:
        problems += rule(frame, file)
    return frame, problems

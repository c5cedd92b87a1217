"""Import of the UCI "default of credit card clients" (Taiwan, 2005) file into canonical data.

Each client becomes a customer with six monthly card statements (April..September 2005) as
`card` obligations, and one October 2005 obligation whose outcome carries
`default.payment.next.month`: with the label rule at as-of date `AS_OF` (2005-10-01) the label
equals the dataset's target for every client. There are no transactions. The mapping is
documented in docs/data-schema.md.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from pde.contracts.data.csv_shape import ragged_lines
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.io import empty_frame, validate_dataset
from pde.contracts.data.schema import TRANSACTIONS
from pde.core.errors import PdeError

logger = logging.getLogger(__name__)

AS_OF = date(2005, 10, 1)
OPEN_DATE = date(2005, 4, 1)  # tenure is unknown: the start of the observation window
DUE_DAY = 15
TARGET = "default.payment.next.month"
TARGET_DUE = date(2005, 10, DUE_DAY)
# (suffix of PAY_x, suffix of BILL_AMTx / PAY_AMTx, month of 2005), September back to April.
MONTHS = ((0, 1, 9), (2, 2, 8), (3, 3, 7), (4, 4, 6), (5, 5, 5), (6, 6, 4))
REQUIRED = (
    "ID",
    "LIMIT_BAL",
    "AGE",
    TARGET,
    *(f"PAY_{p}" for p, _, _ in MONTHS),
    *(f"BILL_AMT{b}" for _, b, _ in MONTHS),
    *(f"PAY_AMT{b}" for _, b, _ in MONTHS),
)
# Income is not in the file; the credit limit (NT$) is the bank's own proxy for it.
INCOME_BY_LIMIT = (
    (50_000, "low"),
    (140_000, "lower_middle"),
    (240_000, "middle"),
    (360_000, "upper_middle"),
)
RETIREMENT_AGE = 65
ROW = "__row__"  # the input row a derived row comes from (see pde.contracts.data.validate)


def _customer_id() -> pl.Expr:
    return pl.format("U{}", pl.col("ID").cast(pl.String).str.zfill(5))


def _income_bracket() -> pl.Expr:
    bracket: pl.Expr = pl.lit("high")
    for bound, name in reversed(INCOME_BY_LIMIT):
        bracket = pl.when(pl.col("LIMIT_BAL") < bound).then(pl.lit(name)).otherwise(bracket)
    return bracket


def customers(raw: pl.DataFrame) -> pl.DataFrame:
    bills = [pl.col(f"BILL_AMT{b}").clip(lower_bound=0) for _, b, _ in MONTHS]
    return raw.select(
        pl.col(ROW),
        _customer_id().alias("customer_id"),
        pl.lit(OPEN_DATE).alias("open_date"),
        (AS_OF.year - pl.col("AGE")).cast(pl.Int64).alias("birth_year"),
        _income_bracket().alias("income_bracket"),
        pl.when(pl.col("AGE") >= RETIREMENT_AGE)
        .then(pl.lit("retired"))
        .otherwise(pl.lit("salaried"))
        .alias("employment_type"),
        pl.lit("TW").alias("region"),
        pl.lit("credit_card").alias("product"),
        pl.col("LIMIT_BAL").cast(pl.Float64).alias("credit_limit"),
        pl.col("BILL_AMT1").clip(lower_bound=0).cast(pl.Float64).alias("outstanding_balance"),
        (pl.sum_horizontal(bills) / len(bills))
        .round(2)
        .cast(pl.Float64)
        .alias("monthly_obligation"),
        pl.lit(None, dtype=pl.Float64).alias("declared_income"),
    )


def _statement(pay: int, bill: int, month: int) -> pl.Expr:
    """One monthly statement as a payments row (a struct, unnested later)."""
    due = date(2005, month, DUE_DAY)
    status = pl.col(f"PAY_{pay}")
    # Status k >= 1: the payment was k months late; -2, -1 and 0 count as paid on time.
    delay = pl.when(status >= 1).then(status * 30).otherwise(0)
    return pl.struct(
        pl.col(ROW),
        pl.format("{}-card-2005{}", _customer_id(), pl.lit(f"{month:02d}")).alias("obligation_id"),
        _customer_id().alias("customer_id"),
        pl.lit("card").alias("kind"),
        pl.lit(due).alias("due_date"),
        pl.col(f"BILL_AMT{bill}").clip(lower_bound=0).cast(pl.Float64).alias("amount_due"),
        (pl.lit(due) + pl.duration(days=delay)).alias("paid_date"),
        pl.col(f"PAY_AMT{bill}").cast(pl.Float64).alias("amount_paid"),
    )


def _target() -> pl.Expr:
    """The October obligation: unpaid when the client defaulted, paid in full on time otherwise."""
    defaulted = pl.col(TARGET) == 1
    amount = pl.col("BILL_AMT1").clip(lower_bound=0).cast(pl.Float64)
    return pl.struct(
        pl.col(ROW),
        pl.format("{}-card-200510", _customer_id()).alias("obligation_id"),
        _customer_id().alias("customer_id"),
        pl.lit("card").alias("kind"),
        pl.lit(TARGET_DUE).alias("due_date"),
        amount.alias("amount_due"),
        pl.when(defaulted).then(None).otherwise(pl.lit(TARGET_DUE)).alias("paid_date"),
        pl.when(defaulted).then(0.0).otherwise(amount).alias("amount_paid"),
    )


def payments(raw: pl.DataFrame) -> pl.DataFrame:
    statements = [_statement(*m).alias(f"m{m[2]:02d}") for m in reversed(MONTHS)]
    rows = (
        raw.select(*statements, _target().alias("m10"))
        .unpivot()
        .select(pl.col("value").struct.unnest())
    )
    return rows.with_columns(
        pl.lit(False).alias("auto_debit"), pl.lit(None, dtype=pl.String).alias("auto_debit_status")
    ).sort("customer_id", "due_date")


def read_uci(path: Path) -> pl.DataFrame:
    """The UCI CSV as integers; a missing column or a non-integer cell is a PdeError."""
    if not path.is_file():
        raise PdeError(f"{path}: no such file (expected UCI_Credit_Card.csv)")
    ragged = ragged_lines(path)
    if ragged is not None:
        raise PdeError(ragged.describe())
    try:
        raw = pl.read_csv(path, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        raise PdeError(f"{path.name}: cannot be read as CSV: {exc}") from exc
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise PdeError(
            f"{path.name}: not the UCI Taiwan file: missing column(s) {', '.join(missing)}"
        )
    for column in REQUIRED:
        if raw.schema[column].is_integer():
            continue
        cells = raw.get_column(column)
        integral = cells.cast(pl.Float64, strict=False)
        bad = (integral.is_null() & cells.is_not_null()) | (integral.round(0) != integral)
        if not bad.any():
            continue
        first = int(bad.arg_true()[0])
        raise PdeError(
            f"{path.name} line {first + 2}, column {column!r}: "
            f"{str(cells[first])[:40]!r} is not a whole number"
        )
    # The file's data rows (1-based, header not counted) ride along, so that a rule the derived
    # tables break is reported at the input row it came from.
    return raw.select(pl.col(REQUIRED).cast(pl.Float64).cast(pl.Int64)).with_row_index(
        ROW, offset=1
    )


def import_uci_taiwan(path: Path) -> CanonicalData:
    """Converts `UCI_Credit_Card.csv` into canonical data (no transactions)."""
    raw = read_uci(path)
    derived = CanonicalData(
        customers=customers(raw), transactions=empty_frame(TRANSACTIONS), payments=payments(raw)
    )
    validate_dataset(derived, source=path.name)
    data = CanonicalData(
        customers=derived.customers.drop(ROW),
        transactions=derived.transactions,
        payments=derived.payments.drop(ROW),
    )
    logger.info(
        "UCI Taiwan: %d customers, %d obligations", data.customers.height, data.payments.height
    )
    return data

"""The point-in-time window of one as-of date: the events a feature row may see.

The leakage rule is enforced here and only here: a feature row for as-of date `t` sees
transactions with `t - lookback <= timestamp < t`, and obligations due in `[t - lookback, t)`
as they stood at `t` (a payment made at or after `t` is not yet known: the obligation counts as
unpaid so far).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.schema import (
    CHANNELS,
    CREDIT_KINDS,
    GRACE_DAYS,
    MIN_PAID_FRACTION,
    TRANSACTION_CATEGORIES,
)

SALARY_CATEGORY = "salary"


@dataclass(frozen=True)
class Window:
    """Events visible at as-of date `t`, with helper columns, and the customers known at `t`."""

    as_of: date
    lookback_days: int
    customers: pl.DataFrame
    transactions: pl.DataFrame  # has days_before, week, in_30d, abs_amount, day
    payments: pl.DataFrame  # has known_paid, days_late, missed, paid_eff, is_credit
    has_transactions: bool
    has_payments: bool
    has_balance: bool

    @property
    def n_weeks(self) -> int:
        return -(-self.lookback_days // 7)

    @property
    def prior_months(self) -> float:
        """Length of the prior period `[t - lookback, t - 30d)` in 30-day months."""
        return max(self.lookback_days - 30, 1) / 30.0


def as_of_datetime(as_of: date) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day)


def slice_window(
    data: CanonicalData,
    as_of: date,
    *,
    lookback_days: int,
    grace_days: int = GRACE_DAYS,
    min_paid_fraction: float = MIN_PAID_FRACTION,
) -> Window:
    """The events of `data` visible at `as_of` (see the module docstring for the rule)."""
    t = as_of_datetime(as_of)
    start = t - timedelta(days=lookback_days)
    tx = (
        data.transactions.lazy()
        .filter((pl.col("timestamp") >= start) & (pl.col("timestamp") < t))
        .with_columns(
            # categorical keys and enums turn the many group-bys and comparisons into integer work
            customer_id=pl.col("customer_id").cast(pl.Categorical),
            category=pl.col("category").cast(pl.Enum(TRANSACTION_CATEGORIES)),
            channel=pl.col("channel").cast(pl.Enum(CHANNELS)),
            days_before=(pl.lit(t) - pl.col("timestamp")).dt.total_seconds() / 86_400.0,
            abs_amount=pl.col("amount").abs(),
            day=pl.col("timestamp").dt.date(),
        )
        .with_columns(
            week=(pl.col("days_before") // 7).cast(pl.Int32),
            in_30d=pl.col("days_before") < 30,
        )
        .collect()
    )
    pay = _payments_as_of(
        data.payments,
        as_of,
        lookback_days=lookback_days,
        grace_days=grace_days,
        min_paid_fraction=min_paid_fraction,
    )
    customers = data.customers.filter(pl.col("open_date") < as_of)
    has_balance = (
        "balance_after" in data.transactions.columns
        and data.transactions.height > 0
        and data.transactions["balance_after"].null_count() < data.transactions.height
    )
    return Window(
        as_of=as_of,
        lookback_days=lookback_days,
        customers=customers,
        transactions=tx,
        payments=pay,
        has_transactions=data.transactions.height > 0,
        has_payments=data.payments.height > 0,
        has_balance=has_balance,
    )


def _payments_as_of(
    payments: pl.DataFrame,
    as_of: date,
    *,
    lookback_days: int,
    grace_days: int,
    min_paid_fraction: float,
) -> pl.DataFrame:
    start = as_of - timedelta(days=lookback_days)
    known = pl.col("paid_date").is_not_null() & (pl.col("paid_date") < as_of)
    days_late = (
        pl.when(pl.col("known_paid"))
        .then((pl.col("paid_date") - pl.col("due_date")).dt.total_days().clip(lower_bound=0))
        .otherwise((pl.lit(as_of) - pl.col("due_date")).dt.total_days())
        .cast(pl.Float64)
    )
    missed = (~pl.col("known_paid") & (pl.col("days_late") > grace_days)) | (
        pl.col("known_paid")
        & (
            (pl.col("days_late") > grace_days)
            | (pl.col("amount_paid") < min_paid_fraction * pl.col("amount_due"))
        )
    )
    return (
        payments.lazy()
        .filter((pl.col("due_date") >= start) & (pl.col("due_date") < as_of))
        .with_columns(known_paid=known)
        .with_columns(
            days_late=days_late,
            paid_eff=pl.when(pl.col("known_paid")).then(pl.col("amount_paid")).otherwise(0.0),
            is_credit=pl.col("kind").is_in(CREDIT_KINDS),
            days_since_due=(pl.lit(as_of) - pl.col("due_date")).dt.total_days(),
        )
        .with_columns(missed=missed)
        .collect()
    )

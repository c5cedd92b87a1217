"""The 30-day label rule, written once as polars expressions (see `schema.LABEL_HORIZON_DAYS`).

The simulator's truth, the importers' checks and the feature pipeline's labels all use it.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from pde.contracts.data.schema import (
    CREDIT_KINDS,
    GRACE_DAYS,
    LABEL_HORIZON_DAYS,
    MIN_PAID_FRACTION,
)


def missed(
    *, grace_days: int = GRACE_DAYS, min_paid_fraction: float = MIN_PAID_FRACTION
) -> pl.Expr:
    """True for a payments row whose obligation was missed (unpaid, late past grace, or short)."""
    late = pl.col("paid_date") > pl.col("due_date") + pl.duration(days=grace_days)
    short = pl.col("amount_paid") < min_paid_fraction * pl.col("amount_due")
    return (pl.col("paid_date").is_null() | late | short).fill_null(True)


def due_in_window(payments: pl.DataFrame, as_of: date, *, horizon_days: int) -> pl.DataFrame:
    """The credit obligations due in (as_of, as_of + horizon_days]: the rows the label reads."""
    end = as_of + timedelta(days=horizon_days)
    return payments.filter(
        pl.col("kind").is_in(CREDIT_KINDS)
        & (pl.col("due_date") > as_of)
        & (pl.col("due_date") <= end)
    )


def labels_at(
    payments: pl.DataFrame,
    as_of: date,
    *,
    horizon_days: int = LABEL_HORIZON_DAYS,
    grace_days: int = GRACE_DAYS,
    min_paid_fraction: float = MIN_PAID_FRACTION,
) -> pl.DataFrame:
    """`customer_id`, `label` (0/1, Int8) for customers with a credit obligation due in the window.

    The window is (as_of, as_of + horizon_days]; customers without one are absent.
    """
    due = due_in_window(payments, as_of, horizon_days=horizon_days)
    rule = missed(grace_days=grace_days, min_paid_fraction=min_paid_fraction)
    return (
        due.group_by("customer_id").agg(rule.any().cast(pl.Int8).alias("label")).sort("customer_id")
    )


def miss_days_at(
    payments: pl.DataFrame,
    as_of: date,
    *,
    horizon_days: int = LABEL_HORIZON_DAYS,
    grace_days: int = GRACE_DAYS,
    min_paid_fraction: float = MIN_PAID_FRACTION,
) -> pl.DataFrame:
    """`labels_at` with `days_to_miss` (Int32): days from `as_of` to the due date of the first
    missed obligation in the window, null when none was missed (the time-to-miss target)."""
    due = due_in_window(payments, as_of, horizon_days=horizon_days)
    rule = missed(grace_days=grace_days, min_paid_fraction=min_paid_fraction)
    days = (pl.col("due_date").cast(pl.Date) - pl.lit(as_of)).dt.total_days()
    return (
        due.group_by("customer_id")
        .agg(
            rule.any().cast(pl.Int8).alias("label"),
            days.filter(rule).min().cast(pl.Int32).alias("days_to_miss"),
        )
        .sort("customer_id")
    )

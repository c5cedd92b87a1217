"""The 30-day label rule, written once as polars expressions (see `schema.LABEL_HORIZON_DAYS`).

This is the reference the simulator's truth and the importers are checked against; the feature
pipeline computes the same rule at scale.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from training.data.schema import CREDIT_KINDS, GRACE_DAYS, LABEL_HORIZON_DAYS, MIN_PAID_FRACTION


def missed() -> pl.Expr:
    """True for a payments row whose obligation was missed (unpaid, late past grace, or short)."""
    late = pl.col("paid_date") > pl.col("due_date") + pl.duration(days=GRACE_DAYS)
    short = pl.col("amount_paid") < MIN_PAID_FRACTION * pl.col("amount_due")
    return (pl.col("paid_date").is_null() | late | short).fill_null(True)


def labels_at(payments: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """`customer_id`, `label` (0/1, Int8) for customers with a credit obligation due in the window.

    The window is (as_of, as_of + LABEL_HORIZON_DAYS]; customers without one are absent.
    """
    end = as_of + timedelta(days=LABEL_HORIZON_DAYS)
    due = payments.filter(
        pl.col("kind").is_in(CREDIT_KINDS)
        & (pl.col("due_date") > as_of)
        & (pl.col("due_date") <= end)
    )
    return (
        due.group_by("customer_id")
        .agg(missed().any().cast(pl.Int8).alias("label"))
        .sort("customer_id")
    )

"""Feature rows for (customer, as-of date): the one code path for batch and single customers.

`compute_features` is called by `pde features` and training on the whole portfolio and by the
scoring server on one customer's recent activity; both get identical values because it is the
same function on the same kind of input (a `CanonicalData`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.training.features import balance, cash, patterns, payments, recent, salary, spending
from pde.training.features.catalogue import FEATURE_NAMES
from pde.training.features.derived import activity_extras, derived_features
from pde.training.features.profile import profile_features
from pde.training.features.stress import stress_features
from pde.training.features.weekly import FLAGS, weekly_flags
from pde.training.features.window import Window, slice_window

KEYS = ("customer_id", "as_of")

_TX_ZERO = (
    *salary.ZERO_WHEN_NO_EVENTS,
    *balance.ZERO_WHEN_NO_EVENTS,
    *spending.ZERO_WHEN_NO_EVENTS,
    *cash.ZERO_WHEN_NO_EVENTS,
    *patterns.ZERO_WHEN_NO_EVENTS,
    *recent.ZERO_WHEN_NO_EVENTS,
    *(f"{flag}_week_{stat}" for flag in FLAGS for stat in ("mean", "std", "min", "max")),
)


def features_at(window: Window) -> pl.DataFrame:
    """One row per customer known at the window's as-of date, every catalogue feature."""
    salary_frame = salary.salary_features(window)
    spending_frame = spending.spending_features(window)
    extras = activity_extras(window)
    parts = [
        salary_frame,
        balance.balance_features(window),
        spending_frame,
        payments.payment_features(window),
        cash.cash_features(window, spending_frame.select("customer_id", "spend_total")),
        weekly_flags(
            window,
            salary_frame.select("customer_id", "salary_mean_amount"),
            extras.select("customer_id", "tx_history_days"),
        ),
        patterns.pattern_features(window),
        recent.recent_features(window),
        extras,
        window.payments.group_by("customer_id").agg(
            pay_history_days=pl.col("days_since_due").max().cast(pl.Float64)
        ),
    ]
    joined = profile_features(window)
    for part in parts:
        keyed = part.with_columns(pl.col("customer_id").cast(pl.String))
        joined = joined.join(keyed, on="customer_id", how="left")
    zero_filled = []
    if window.has_transactions:
        zero_filled += [c for c in _TX_ZERO if c in joined.columns]
    if window.has_payments:
        zero_filled += list(payments.ZERO_WHEN_NO_EVENTS)
    joined = joined.with_columns(pl.col(zero_filled).fill_null(0.0))
    for column in FEATURE_NAMES:
        if column not in joined.columns:  # a family with no source data at all
            joined = joined.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    frame = stress_features(derived_features(window, joined))
    return frame.select(
        "customer_id",
        pl.lit(window.as_of).alias("as_of"),
        *(_finite(pl.col(name).cast(pl.Float64)).alias(name) for name in FEATURE_NAMES),
    )


def _finite(expr: pl.Expr) -> pl.Expr:
    """NaN for null and infinite values: the models' one representation of missing."""
    return pl.when(expr.is_finite()).then(expr).otherwise(float("nan"))


def compute_features(
    data: CanonicalData,
    as_of_dates: Sequence[date],
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    progress: Callable[[date], None] | None = None,
) -> pl.DataFrame:
    """Feature rows for every customer at each as-of date, in catalogue order.

    Columns: `customer_id`, `as_of` (Date), then `FEATURE_NAMES` (Float64, NaN = missing).
    """
    if lookback_days < 30:
        raise ValueError("lookback_days must be at least 30 (the trend features need it)")
    frames = []
    for as_of in sorted(set(as_of_dates)):
        frames.append(features_at(slice_window(data, as_of, lookback_days=lookback_days)))
        if progress is not None:
            progress(as_of)
    if not frames:
        return empty_features()
    return pl.concat(frames).sort(KEYS)


def empty_features() -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {"customer_id": pl.String(), "as_of": pl.Date()}
    schema.update({name: pl.Float64() for name in FEATURE_NAMES})
    return pl.DataFrame(schema=schema)

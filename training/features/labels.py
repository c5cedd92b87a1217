"""The 30-day label and the weekly grid of as-of dates.

Label rule: for as-of date `t`, the label is 1 when a credit obligation (kind loan, card or
mortgage) due in `(t, t + horizon]` is missed: unpaid, paid more than `grace_days` after its
due date, or paid less than `min_paid_fraction` of the amount due. It is 0 when every such
obligation was met. A customer with no credit obligation due in the window has **no label** for
that date: the row is left out of training and evaluation (there was nothing to miss).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.label_rule import labels_at
from pde.contracts.data.schema import GRACE_DAYS, LABEL_HORIZON_DAYS, MIN_PAID_FRACTION

# The weekly grid starts once a full default lookback window (90 days) of data precedes it:
# rows with a truncated window look unlike the rows the model will score.
MIN_HISTORY_DAYS = 90


def compute_labels(
    data: CanonicalData,
    as_of_dates: Sequence[date],
    *,
    horizon_days: int = LABEL_HORIZON_DAYS,
    grace_days: int = GRACE_DAYS,
    min_paid_fraction: float = MIN_PAID_FRACTION,
) -> pl.DataFrame:
    """`customer_id`, `as_of`, `label` (Int8) for customers with a credit obligation due."""
    frames = [
        labels_at(
            data.payments,
            as_of,
            horizon_days=horizon_days,
            grace_days=grace_days,
            min_paid_fraction=min_paid_fraction,
        ).with_columns(as_of=pl.lit(as_of))
        for as_of in sorted(set(as_of_dates))
    ]
    if not frames:
        return pl.DataFrame(schema={"customer_id": pl.String, "as_of": pl.Date, "label": pl.Int8})
    return pl.concat(frames).select("customer_id", "as_of", "label").sort("customer_id", "as_of")


def weekly_as_of_dates(
    data: CanonicalData,
    *,
    horizon_days: int = LABEL_HORIZON_DAYS,
    grace_days: int = GRACE_DAYS,
    min_history_days: int = MIN_HISTORY_DAYS,
) -> list[date]:
    """Weekly as-of dates with enough history and a fully observed label window.

    The grid starts on the Monday on or before the first event; a date `t` is used when at
    least `min_history_days` of data precede it and `t + horizon + grace` is not after the last
    event of the data (so every label is known).
    """
    first, last = event_span(data)
    anchor = first - timedelta(days=first.weekday())
    dates = []
    t = anchor + timedelta(days=7)
    while t + timedelta(days=horizon_days + grace_days) <= last:
        if (t - first).days >= min_history_days:
            dates.append(t)
        t += timedelta(days=7)
    return dates


def event_span(data: CanonicalData) -> tuple[date, date]:
    """The dates of the first and the last event (transaction, due date or payment)."""
    starts: list[date] = []
    ends: list[date] = []
    if data.transactions.height:
        days = data.transactions["timestamp"].dt.date()
        starts.append(days.min())  # type: ignore[arg-type]
        ends.append(days.max())  # type: ignore[arg-type]
    if data.payments.height:
        starts.append(data.payments["due_date"].min())  # type: ignore[arg-type]
        ends.append(data.payments["due_date"].max())  # type: ignore[arg-type]
        paid = data.payments["paid_date"].drop_nulls()
        if paid.len():
            ends.append(paid.max())  # type: ignore[arg-type]
    if not starts:
        raise ValueError("the data has no transactions and no payments: no as-of dates")
    return min(starts), max(ends)

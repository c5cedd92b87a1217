"""Point-in-time behavioural features and 30-day labels.

Each family module declares its features' catalogue entries beside the code computing them;
`pde.training.features.catalogue` assembles them, in bundle order; `compute_features`
builds them for any set of customers and as-of dates; `compute_labels` gives the 30-day label;
`build_training_table` joins the two for training.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.training.features.catalogue import CATALOGUE, CATALOGUE_VERSION, FEATURE_NAMES
from pde.training.features.compute import compute_features
from pde.training.features.labels import compute_labels, weekly_as_of_dates

__all__ = [
    "CATALOGUE",
    "CATALOGUE_VERSION",
    "DEFAULT_LOOKBACK_DAYS",
    "FEATURE_NAMES",
    "build_training_table",
    "compute_features",
    "compute_labels",
    "weekly_as_of_dates",
]


def build_training_table(
    data: CanonicalData,
    *,
    as_of_dates: list[date] | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> pl.DataFrame:
    """`customer_id`, `as_of`, `label`, then the features; unlabelled rows are dropped."""
    dates = as_of_dates if as_of_dates is not None else weekly_as_of_dates(data)
    features = compute_features(data, dates, lookback_days=lookback_days)
    labels = compute_labels(data, dates)
    return (
        labels.join(features, on=["customer_id", "as_of"], how="inner")
        .select("customer_id", "as_of", "label", *FEATURE_NAMES)
        .sort("as_of", "customer_id")
    )

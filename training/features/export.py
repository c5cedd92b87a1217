"""Writes a feature table (features and, where known, labels) to Parquet atomically."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.training.features.compute import compute_features
from pde.training.features.labels import compute_labels, weekly_as_of_dates


def feature_table(
    data: CanonicalData,
    as_of_dates: list[date],
    *,
    lookback_days: int,
    with_labels: bool = True,
    progress: Callable[[date], None] | None = None,
) -> pl.DataFrame:
    """Features for each as-of date, with `label` (null where none is known) when asked."""
    features = compute_features(data, as_of_dates, lookback_days=lookback_days, progress=progress)
    if not with_labels:
        return features
    labels = compute_labels(data, as_of_dates)
    joined = features.join(labels, on=["customer_id", "as_of"], how="left")
    return joined.select(
        "customer_id", "as_of", "label", pl.exclude("customer_id", "as_of", "label")
    )


def resolve_dates(data: CanonicalData, *, as_of: date | None, weekly: bool) -> list[date]:
    if as_of is not None and weekly:
        raise ValueError("give either an as-of date or --weekly, not both")
    if as_of is not None:
        return [as_of]
    return weekly_as_of_dates(data)


def write_parquet_atomically(frame: pl.DataFrame, path: Path) -> None:
    """Writes to a temporary sibling, then renames: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        frame.write_parquet(tmp, compression="zstd")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)

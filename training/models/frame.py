"""The rows a run trains on: features, labels, customers and as-of times, from either source.

`--table` files (CSV or Parquet of numeric columns) and the canonical training table of
`pde.training.features` both become a `TrainingFrame`; everything downstream sees only this.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from pde.training.models.config import TrainingError
from pde.training.models.uplift_data import UpliftData, uplift_data


@dataclass(frozen=True)
class TrainingFrame:
    """Features as float64 (NaN = missing), 0/1 labels, and optional groups and times."""

    x: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    source: Literal["canonical", "table"]
    groups: np.ndarray | None = None
    times: np.ndarray | None = None
    id_column: str | None = None
    label_column: str | None = None
    time_column: str | None = None
    catalogue_version: str | None = None
    # The simulator's true probability per row, when the data is simulated.
    truth: np.ndarray | None = None
    # `--table` columns that look like row ids, left out of the features (see id_like_columns).
    id_like: tuple[str, ...] = ()
    # The treated history (arms, 30-day outcomes, truth per arm), when the data has one.
    uplift: UpliftData | None = None
    # Days from the as-of date to the first miss (NaN: none in the label window), for the
    # time-to-miss model; None when the data gives no miss dates (a `--table` frame).
    days_to_miss: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.y.shape[0])

    def fingerprint(self) -> str:
        """sha256 of the feature names, rows and labels (order-sensitive)."""
        digest = hashlib.sha256()
        digest.update(json.dumps(self.feature_names).encode())
        digest.update(np.ascontiguousarray(self.x, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(self.y, dtype=np.int8).tobytes())
        if self.groups is not None:
            digest.update("\x1f".join(map(str, self.groups)).encode())
        if self.times is not None:
            digest.update(np.ascontiguousarray(self.times).astype("datetime64[D]").tobytes())
        return digest.hexdigest()


def _labels(column: pl.Series) -> np.ndarray:
    if column.null_count():
        raise TrainingError(
            f"label column {column.name!r} has {column.null_count()} missing values"
        )
    try:
        values = column.cast(pl.Float64).to_numpy()
    except pl.exceptions.PolarsError:
        raise TrainingError(f"label column {column.name!r} is not numeric 0/1") from None
    if not np.isin(values, (0.0, 1.0)).all():
        raise TrainingError(f"label column {column.name!r} must hold only 0 and 1")
    if values.min() == values.max():
        raise TrainingError(f"label column {column.name!r} has a single class")
    return values.astype(np.int8)


def _times(column: pl.Series) -> np.ndarray:
    if column.null_count():
        raise TrainingError(f"time column {column.name!r} has missing values")
    if column.dtype == pl.Date:
        return column.to_numpy().astype("datetime64[D]")
    if isinstance(column.dtype, pl.Datetime):
        return column.dt.date().to_numpy().astype("datetime64[D]")
    if column.dtype == pl.String:
        try:
            return column.str.to_date().to_numpy().astype("datetime64[D]")
        except pl.exceptions.PolarsError:
            raise TrainingError(f"time column {column.name!r} is not ISO dates") from None
    raise TrainingError(f"time column {column.name!r} must hold dates, not {column.dtype}")


def _features(table: pl.DataFrame, names: list[str]) -> np.ndarray:
    for name in names:
        dtype = table.schema[name]
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise TrainingError(
                f"column {name!r} is not numeric ({dtype}); exclude it with --exclude {name}"
            )
    if not names:
        raise TrainingError("no feature columns left")
    frame = table.select(pl.col(names).cast(pl.Float64))
    return frame.to_numpy().astype(np.float64, copy=False)


def read_table_file(path: Path) -> pl.DataFrame:
    """Reads a CSV or Parquet file; the error names the file when it cannot."""
    if not path.is_file():
        raise TrainingError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pl.read_csv(path, infer_schema_length=10_000, null_values=["", "NA", "NaN"])
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise TrainingError(f"{path}: cannot read: {exc}") from None
    raise TrainingError(f"{path}: expected a .csv or .parquet file")


def id_like_columns(table: pl.DataFrame) -> list[str]:
    """Columns that look like a row id rather than a feature: a blank name (the unnamed index
    a spreadsheet or pandas export adds) or unique integers increasing in row order."""
    found = []
    for name in table.columns:
        column = table[name]
        blank = not name.strip() or re.fullmatch(r"Unnamed: \d+", name) is not None
        increasing = (
            column.dtype.is_integer()
            and column.null_count() == 0
            and table.height > 1
            and bool((column.diff().drop_nulls() > 0).all())
        )
        if blank or increasing:
            found.append(name)
    return found


def frame_from_table(
    table: pl.DataFrame,
    *,
    label: str,
    id_column: str | None = None,
    time_column: str | None = None,
    exclude: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> TrainingFrame:
    """A `--table` frame: every column but label, id, time, exclusions and id-like columns
    (`id_like_columns`, unless named in `keep`) is a feature."""
    for role, name in (("label", label), ("id", id_column), ("time", time_column)):
        if name is not None and name not in table.columns:
            raise TrainingError(f"{role} column {name!r} not in the table")
    for option, named in (("excluded", exclude), ("kept", keep)):
        for name in named:
            if name not in table.columns:
                raise TrainingError(f"{option} column {name!r} not in the table")
    reserved = {label, id_column, time_column, *exclude}
    id_like = tuple(c for c in id_like_columns(table) if c not in reserved and c not in keep)
    names = [c for c in table.columns if c not in reserved and c not in id_like]
    groups = table[id_column].cast(pl.String).to_numpy() if id_column else None
    return TrainingFrame(
        x=_features(table, names),
        y=_labels(table[label]),
        feature_names=names,
        source="table",
        groups=groups,
        times=_times(table[time_column]) if time_column else None,
        id_column=id_column,
        label_column=label,
        time_column=time_column,
        id_like=id_like,
    )


def frame_from_training_table(
    table: pl.DataFrame,
    *,
    feature_names: tuple[str, ...],
    catalogue_version: str,
    truth: pl.DataFrame | None = None,
) -> TrainingFrame:
    """The canonical frame from `build_training_table` (customer_id, as_of, label, features)."""
    missing = [c for c in ("customer_id", "as_of", "label", *feature_names) if c not in table]
    if missing:
        raise TrainingError(f"training table lacks columns {missing[:5]}")
    table = table.sort("as_of", "customer_id")
    truth_values = None
    if truth is not None:
        truth = truth.select(
            pl.col("customer_id").cast(pl.String),
            pl.col("as_of").cast(table.schema["as_of"]),
            "true_probability",
        )
        joined = table.select(pl.col("customer_id").cast(pl.String), "as_of").join(
            truth,
            on=["customer_id", "as_of"],
            how="left",
            maintain_order="left",
        )
        truth_values = joined["true_probability"].cast(pl.Float64).to_numpy()
    return TrainingFrame(
        x=_features(table, list(feature_names)),
        y=_labels(table["label"]),
        feature_names=list(feature_names),
        source="canonical",
        groups=table["customer_id"].cast(pl.String).to_numpy(),
        # one as-of date (a snapshot such as UCI Taiwan) has no time to split on: stratified
        times=_times(table["as_of"]) if table["as_of"].n_unique() > 1 else None,
        id_column="customer_id",
        label_column="label",
        time_column="as_of",
        catalogue_version=catalogue_version,
        truth=truth_values,
        days_to_miss=(
            table["days_to_miss"].cast(pl.Float64).fill_null(np.nan).to_numpy()
            if "days_to_miss" in table.columns
            else None
        ),
    )


def with_miss_days(table: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """The training table with `days_to_miss` from the label rule (null: no miss)."""
    from pde.contracts.data.label_rule import miss_days_at

    days = pl.concat(
        [
            miss_days_at(payments, when).select(
                "customer_id",
                pl.lit(when).cast(table.schema["as_of"]).alias("as_of"),
                "days_to_miss",
            )
            for when in table["as_of"].unique().sort().to_list()
        ]
    )
    return table.join(days, on=["customer_id", "as_of"], how="left", maintain_order="left")


def load_canonical_frame(
    data_dir: Path,
    *,
    lookback_days: int | None = None,
    as_of_dates: list[date] | None = None,
    protected: tuple[str, ...] = (),
) -> TrainingFrame:
    """Features and labels of a canonical data directory (with the simulator's truth if any),
    at `as_of_dates` (default: the data's weekly grid), with its treated history when it has
    `interventions.parquet` (`protected`: customer columns the fairness report covers)."""
    from pde.contracts.data.io import load_dataset
    from pde.training.features import (
        CATALOGUE_VERSION,
        DEFAULT_LOOKBACK_DAYS,
        FEATURE_NAMES,
        build_training_table,
    )

    data = load_dataset(data_dir)
    table = build_training_table(
        data, as_of_dates=as_of_dates, lookback_days=lookback_days or DEFAULT_LOOKBACK_DAYS
    )
    if table.height == 0:
        raise TrainingError(f"{data_dir}: no labelled as-of rows to train on")
    table = with_miss_days(table, data.payments)
    truth_path = data_dir / "truth.parquet"
    truth = pl.read_parquet(truth_path) if truth_path.is_file() else None
    frame = frame_from_training_table(
        table, feature_names=FEATURE_NAMES, catalogue_version=CATALOGUE_VERSION, truth=truth
    )
    keys = table.sort("as_of", "customer_id").select("customer_id", "as_of")
    history = uplift_data(keys, data_dir, data.customers, protected=protected)
    return frame if history is None else replace(frame, uplift=history)

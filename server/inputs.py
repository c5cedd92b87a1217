"""Checks and converts request inputs into float32 rows in the model's feature order.

Missing values: NaN means "missing" and is accepted for every feature, because all three
models (CatBoost, XGBoost, LightGBM) route missing values natively and the ONNX graphs keep
that behaviour. Infinite values are always refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pde.server.ensemble import F32
from pde.server.errors import InvalidInputError

MAX_BATCH_ROWS = 100_000
ROW_BYTES_PER_FEATURE = 4  # float32


def _list(names: Sequence[str] | set[str]) -> str:
    shown = sorted(names)[:5]
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(shown) + more


def check_finite(rows: F32, feature_names: Sequence[str], *, row_ids: Sequence[str] = ()) -> F32:
    """Refuses +-Inf anywhere (NaN passes as missing); returns rows unchanged."""
    bad = np.isinf(rows)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        where = f"row {row_ids[row]!r}" if row_ids else f"row {row}"
        raise InvalidInputError(
            f"{where}: feature {feature_names[column]!r} is infinite; send NaN for a missing value"
        )
    return rows


def row_from_named(values: Mapping[str, float], feature_names: Sequence[str]) -> F32:
    """One row from {feature: value}; every feature must be named, and nothing else."""
    unknown = set(values) - set(feature_names)
    if unknown:
        raise InvalidInputError(f"unknown feature names: {_list(unknown)}")
    missing = [name for name in feature_names if name not in values]
    if missing:
        raise InvalidInputError(
            f"{len(missing)} features missing: {_list(missing)} (send NaN for a missing value)"
        )
    row = np.array([[values[name] for name in feature_names]], dtype=np.float32)
    return check_finite(row, feature_names)


def row_from_packed(values: Sequence[float], feature_names: Sequence[str]) -> F32:
    """One row from values in model order."""
    if len(values) != len(feature_names):
        raise InvalidInputError(
            f"expected {len(feature_names)} feature values in model order, got {len(values)}"
        )
    row = np.asarray(values, dtype=np.float32).reshape(1, -1)
    return check_finite(row, feature_names)


def rows_from_bytes(
    data: bytes,
    row_ids: Sequence[str],
    feature_names: Sequence[str],
    *,
    max_rows: int = MAX_BATCH_ROWS,
) -> F32:
    """Rows from packed little-endian float32 bytes, row-major, one row per id."""
    n_rows = len(row_ids)
    row_size = len(feature_names) * ROW_BYTES_PER_FEATURE
    if n_rows == 0:
        raise InvalidInputError("empty batch: no row ids")
    if n_rows > max_rows:
        raise InvalidInputError(f"batch of {n_rows} rows is over the limit of {max_rows}")
    if len(data) % row_size:
        raise InvalidInputError(
            f"features are {len(data)} bytes, not a multiple of the row size {row_size} "
            f"({len(feature_names)} float32 values)"
        )
    if len(data) // row_size != n_rows:
        raise InvalidInputError(f"{len(data) // row_size} rows of features for {n_rows} row ids")
    rows = np.frombuffer(data, dtype="<f4").reshape(n_rows, len(feature_names))
    return check_finite(rows, feature_names, row_ids=row_ids)

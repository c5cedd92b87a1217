"""Checks and converts request inputs into float32 rows in the model's feature order.

Missing values: NaN means "missing" and is accepted for every feature, because all three
models (CatBoost, XGBoost, LightGBM) route missing values natively and the ONNX graphs keep
that behaviour. Infinite values are always refused, and so are finite values that float32
cannot hold (beyond about 3.4e38): they would turn infinite on the way in.

Batches are bounded twice, consistently: at most `max_rows` rows, and a message size derived
from that row count and the bundle's feature count (`batch_message_bytes`), so the row limit
is always reachable and the transport never accepts more than a full batch needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pde.server.ensemble import F32, F64
from pde.server.errors import InvalidInputError, quote

MAX_BATCH_ROWS = 100_000
ROW_BYTES_PER_FEATURE = 4  # float32
FLOAT32_MAX = float(np.finfo(np.float32).max)
# A batch message carries, per row, its float32 features and its id (one length-prefixed
# string: up to ROW_ID_BYTES of id and ROW_ID_FRAMING bytes of tag and length), plus one
# envelope (field tags, the model version) for the whole message.
ROW_ID_BYTES = 64
ROW_ID_FRAMING = 3
ENVELOPE_BYTES = 64 * 1024


def _list(names: Sequence[str] | set[str]) -> str:
    shown = sorted(names)[:5]
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(quote(name) for name in shown) + more


def _row_bytes(n_features: int) -> int:
    return n_features * ROW_BYTES_PER_FEATURE + ROW_ID_BYTES + ROW_ID_FRAMING


def batch_message_bytes(n_features: int, rows: int = MAX_BATCH_ROWS) -> int:
    """The size of the largest batch message of `rows` rows of `n_features` features."""
    return ENVELOPE_BYTES + rows * _row_bytes(n_features)


def rows_within(message_bytes: int, n_features: int) -> int:
    """How many rows a batch message of at most `message_bytes` bytes can carry."""
    return max(0, (message_bytes - ENVELOPE_BYTES) // _row_bytes(n_features))


@dataclass(frozen=True)
class BatchLimit:
    """The batch limit for a bundle: rows, and the message size that carries them."""

    rows: int
    n_features: int
    message_bytes: int

    @classmethod
    def for_bundle(
        cls, n_features: int, *, max_rows: int = MAX_BATCH_ROWS, message_bytes: int | None = None
    ) -> BatchLimit:
        """With no `message_bytes`, the message size follows from `max_rows`; with one (a
        transport limit set beforehand), the rows are those that fit it, up to `max_rows`."""
        if message_bytes is None:
            return cls(max_rows, n_features, batch_message_bytes(n_features, max_rows))
        return cls(min(max_rows, rows_within(message_bytes, n_features)), n_features, message_bytes)

    def describe(self) -> str:
        return (
            f"{self.rows} rows of {self.n_features} features "
            f"(messages up to {self.message_bytes / 2**20:.1f} MiB)"
        )


def _float32_rows(
    values: npt.NDArray[np.float64], feature_names: Sequence[str], *, row_ids: Sequence[str] = ()
) -> F32:
    """float64 rows as float32, refusing +-Inf and values float32 cannot hold."""
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        rows = values.astype(np.float32)
    infinite = np.isinf(values)
    bad = infinite | np.isinf(rows)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        where = f"row {quote(row_ids[row])}" if row_ids else f"row {row}"
        feature = quote(feature_names[column])
        if infinite[row, column]:
            raise InvalidInputError(
                f"{where}: feature {feature} is infinite; send NaN for a missing value"
            )
        raise InvalidInputError(
            f"{where}: feature {feature} = {values[row, column]:.4g} is out of range for "
            f"float32 (largest magnitude {FLOAT32_MAX:.4g})"
        )
    return rows


def check_finite(rows: F32, feature_names: Sequence[str], *, row_ids: Sequence[str] = ()) -> F32:
    """Refuses +-Inf anywhere (NaN passes as missing); returns rows unchanged."""
    bad = np.isinf(rows)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        where = f"row {quote(row_ids[row])}" if row_ids else f"row {row}"
        raise InvalidInputError(
            f"{where}: feature {quote(feature_names[column])} is infinite; "
            "send NaN for a missing value"
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
    row = np.array([[values[name] for name in feature_names]], dtype=np.float64)
    return _float32_rows(row, feature_names)


def row_from_packed(values: Sequence[float] | F64, feature_names: Sequence[str]) -> F32:
    """One row from values in model order (a float64 array, or a sequence of floats)."""
    if len(values) != len(feature_names):
        raise InvalidInputError(
            f"expected {len(feature_names)} feature values in model order, got {len(values)}"
        )
    if type(values) is np.ndarray:
        # NaN compares False: only values float32 cannot hold (and infinities) go to the
        # checked path, which names them
        if (np.abs(values) > FLOAT32_MAX).any():
            return _float32_rows(values.reshape(1, -1), feature_names)
        with np.errstate(invalid="ignore"):  # a signalling NaN is a NaN: missing
            return values.astype(np.float32).reshape(1, -1)
    # straight to float32 (one array, no float64 copy); values that are infinite or too
    # large for float32 are found here and named by the checked float64 path
    with np.errstate(over="ignore", invalid="ignore"):
        row = np.array(values, dtype=np.float32).reshape(1, -1)
    if np.isinf(row).any():
        return _float32_rows(np.asarray(values, dtype=np.float64).reshape(1, -1), feature_names)
    return row


def rows_from_bytes(
    data: bytes,
    row_ids: Sequence[str],
    feature_names: Sequence[str],
    *,
    limit: BatchLimit | None = None,
) -> F32:
    """Rows from packed little-endian float32 bytes, row-major, one row per id."""
    limit = limit or BatchLimit.for_bundle(len(feature_names))
    n_rows = len(row_ids)
    row_size = len(feature_names) * ROW_BYTES_PER_FEATURE
    if n_rows == 0:
        raise InvalidInputError("empty batch: no row ids")
    if n_rows > limit.rows:
        raise InvalidInputError(
            f"batch of {n_rows} rows is over the limit of {limit.rows} rows for this model: "
            f"batches carry up to {limit.describe()}"
        )
    if len(data) % row_size:
        raise InvalidInputError(
            f"features are {len(data)} bytes, not a multiple of the row size {row_size} "
            f"({len(feature_names)} float32 values)"
        )
    if len(data) // row_size != n_rows:
        raise InvalidInputError(f"{len(data) // row_size} rows of features for {n_rows} row ids")
    rows = np.frombuffer(data, dtype="<f4").reshape(n_rows, len(feature_names))
    return check_finite(rows, feature_names, row_ids=row_ids)

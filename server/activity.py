"""Features from one customer's raw recent activity, with the training code.

The request's profile, transactions and payments become a one-customer `CanonicalData`
(columns and dtypes from `pde.contracts.data.schema`), and `pde.training.features.compute_features`
computes the row as of the request's date; the bundle's feature names select the model input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from pde.contracts.bundle import Manifest
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.schema import CUSTOMERS, PAYMENTS, TRANSACTIONS, Table
from pde.server.ensemble import F32
from pde.server.errors import InvalidInputError, NotReadyError, clip

_DTYPES: dict[str, Any] = {
    "string": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "bool": pl.Boolean,
    "date": pl.Date,
    "datetime": pl.Datetime("us"),
}


# The moments raw activity may carry: wide enough for any real customer's history, narrow
# enough that date arithmetic (as_of minus the lookback, ages, tenures) cannot overflow.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2200, 1, 1)


@dataclass(frozen=True)
class Activity:
    """One customer's recent activity; dict keys are the canonical column names."""

    customer_id: str
    as_of: date
    profile: dict[str, Any]
    transactions: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)


def _frame(table: Table, rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    schema = {c.name: _DTYPES[c.dtype] for c in table.columns}
    data = {name: [row.get(name) for row in rows] for name in schema}
    try:
        return pl.DataFrame(data, schema=schema)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise InvalidInputError(f"activity {table.name}: {clip(str(exc))}") from None


def canonical_data(activity: Activity) -> CanonicalData:
    """The one-customer canonical tables of the activity (ids generated where absent)."""
    cid = activity.customer_id
    customer = {**activity.profile, "customer_id": cid}
    transactions = [
        {"transaction_id": f"{cid}-t{i}", **t, "customer_id": cid}
        for i, t in enumerate(activity.transactions)
    ]
    payments = [
        {"obligation_id": f"{cid}-p{i}", **p, "customer_id": cid}
        for i, p in enumerate(activity.payments)
    ]
    data = CanonicalData(
        customers=_frame(CUSTOMERS, [customer]),
        transactions=_frame(TRANSACTIONS, transactions),
        payments=_frame(PAYMENTS, payments),
    )
    from pde.contracts.data.io import validate_dataset
    from pde.contracts.data.validate import DataValidationError

    try:
        validate_dataset(data)  # the same checks as a canonical data directory
    except DataValidationError as exc:
        raise InvalidInputError(f"raw activity: {clip(str(exc))}") from None
    return data


def features_from_activity(activity: Activity, manifest: Manifest) -> F32:
    """The model-order feature row [1, features] of the activity as of its date."""
    if manifest.feature_catalogue_version is None:
        raise NotReadyError(
            f"model {manifest.version} was trained on a feature table, not on canonical data; "
            "send feature values instead of raw activity"
        )
    if not activity.customer_id:
        raise InvalidInputError("raw activity needs a customer_id")
    from pde.training.features import compute_features  # loaded on the first raw activity

    data = canonical_data(activity)
    frame = compute_features(data, [activity.as_of])
    if frame.height != 1:
        raise InvalidInputError(f"activity gave {frame.height} feature rows, expected 1")
    missing = [n for n in manifest.feature_names if n not in frame.columns]
    if missing:
        raise NotReadyError(
            f"the feature code lacks {len(missing)} model features, e.g. {missing[0]}"
        )
    row = frame.select(manifest.feature_names).to_numpy().astype(np.float32)
    return np.where(np.isinf(row), np.nan, row).astype(np.float32)

"""Building request messages: single rows, and chunks of many rows as packed float32 bytes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from pde.risk.v1 import risk_pb2

Features = Mapping[str, float] | Sequence[float] | np.ndarray | risk_pb2.RawActivity
Row = tuple[str, Mapping[str, float] | Sequence[float] | np.ndarray]

DEFAULT_CHUNK_ROWS = 4096
# Explanations cost far more per row than scores: smaller chunks keep each answer prompt.
DEFAULT_EXPLAIN_CHUNK_ROWS = 1024


def row_fields(features: Features) -> dict[str, Any]:
    """The `input` oneof of a Score / Explain request for these features."""
    if isinstance(features, risk_pb2.RawActivity):
        return {"activity": features}
    if isinstance(features, Mapping):
        return {"named": risk_pb2.NamedFeatures(values={k: float(v) for k, v in features.items()})}
    values = np.asarray(features, dtype=np.float64).ravel()
    return {"packed": risk_pb2.PackedFeatures(values=values.tolist())}


def _frame_chunks(
    frame: Any, feature_names: Sequence[str], *, id_column: str | None, chunk_rows: int
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Chunks of a pandas or polars DataFrame: ids from id_column (pandas: else the index)."""
    names = list(feature_names)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"the DataFrame lacks {len(missing)} model features, e.g. {missing[:3]}")
    is_polars = type(frame).__module__.startswith("polars")
    for start in range(0, len(frame), chunk_rows):
        if is_polars:
            part = frame.slice(start, chunk_rows)
            ids = part.get_column(id_column).cast(str).to_list() if id_column else None
            if ids is None:
                ids = [str(i) for i in range(start, start + part.height)]
            values = part.select(names).to_numpy().astype(np.float32, copy=False)
        else:
            part = frame.iloc[start : start + chunk_rows]
            source = part[id_column] if id_column else part.index
            ids = [str(v) for v in source]
            values = part[names].to_numpy(dtype=np.float32, na_value=np.nan)
        yield ids, values


def _row_chunks(
    rows: Iterable[Row], feature_names: Sequence[str], *, chunk_rows: int
) -> Iterator[tuple[list[str], np.ndarray]]:
    ids: list[str] = []
    values: list[Any] = []
    for row_id, features in rows:
        if isinstance(features, Mapping):
            values.append([features[name] for name in feature_names])
        else:
            values.append(features)
        ids.append(str(row_id))
        if len(ids) == chunk_rows:
            yield ids, np.asarray(values, dtype=np.float32)
            ids, values = [], []
    if ids:
        yield ids, np.asarray(values, dtype=np.float32)


def chunks(
    rows: Iterable[Row] | Any,
    feature_names: Sequence[str],
    *,
    id_column: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, float32 [n, features]) chunks from a DataFrame or an iterable of (id, features)."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be >= 1")
    if hasattr(rows, "columns") and hasattr(rows, "shape"):
        return _frame_chunks(rows, feature_names, id_column=id_column, chunk_rows=chunk_rows)
    return _row_chunks(rows, feature_names, chunk_rows=chunk_rows)


def batch(
    ids: list[str],
    values: np.ndarray,
    *,
    model_version: str = "",
    challenger_values: np.ndarray | None = None,
    effects: bool = False,
) -> risk_pb2.ScoreBatch:
    extra = b""
    if challenger_values is not None:
        extra = np.ascontiguousarray(challenger_values, dtype="<f4").tobytes()
    return risk_pb2.ScoreBatch(
        row_ids=ids,
        features=np.ascontiguousarray(values, dtype="<f4").tobytes(),
        model_version=model_version,
        challenger_features=extra,
        effects=effects,
    )


def shadow_layout(
    names: Sequence[str], challenger_names: Sequence[str], rows: Any
) -> tuple[list[str], list[int] | None]:
    """The columns to read from `rows` and where the shadow challenger's own features sit
    among them: (names, None) when the challenger takes only the champion's features (the
    server picks them) or the rows are not a DataFrame holding its others."""
    extra = [n for n in challenger_names if n not in set(names)]
    columns = getattr(rows, "columns", None)
    if not extra or columns is None or any(n not in columns for n in extra):
        return list(names), None
    union = [*names, *extra]
    position = {n: i for i, n in enumerate(union)}
    return union, [position[n] for n in challenger_names]


def explain_batch(
    ids: list[str], values: np.ndarray, *, top_k: int, model_version: str = ""
) -> risk_pb2.ExplainBatch:
    return risk_pb2.ExplainBatch(
        row_ids=ids,
        features=np.ascontiguousarray(values, dtype="<f4").tobytes(),
        top_k=top_k,
        model_version=model_version,
    )

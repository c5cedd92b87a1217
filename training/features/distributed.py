"""Features past one machine: Dask tasks over customer partitions of a canonical data dir.

Features are per customer, so the portfolio is split by a hash of the customer id. Each task
reads only its customers' rows (validated like `load_dataset`, messages naming the file's own
rows), computes their features with the same `compute_features`, and writes its own Parquet
part, so no process ever holds the whole portfolio. With a `dask.distributed.Client` active the
tasks run on that cluster; otherwise on local processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.io import empty_frame, extraction_date, table_file
from pde.contracts.data.schema import CUSTOMERS, PAYMENTS, TRANSACTIONS, Table
from pde.contracts.data.validate import (
    check_references,
    drop_rows,
    raise_if_any,
    validate_table,
)
from pde.core.errors import PdeError
from pde.training.features.compute import compute_features

HASH_SEED = 20_251_124  # fixed: every task must agree on who is in which partition


def _in_part(part: int, parts: int) -> pl.Expr:
    return (pl.col("customer_id").cast(pl.String).hash(seed=HASH_SEED) % parts) == part


def _scan(path: Path) -> pl.LazyFrame:
    if path.suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False)
    return pl.scan_parquet(path)


def _load_table(directory: Path, table: Table, *, part: int, parts: int) -> pl.DataFrame:
    path = table_file(directory, table.name)
    if path is None:
        if table is TRANSACTIONS:
            return empty_frame(table).with_row_index("__row__", offset=1)
        raise PdeError(f"{directory}: no {table.name}.parquet or {table.name}.csv")
    raw = _scan(path).with_row_index("__row__", offset=1).filter(_in_part(part, parts)).collect()
    frame, problems = validate_table(raw, table, path.name, extracted_on=extraction_date(directory))
    raise_if_any(problems)
    return frame


def load_partition(directory: Path, *, part: int, parts: int) -> CanonicalData:
    """The customers of partition `part` of `parts`, with their transactions and payments."""
    customers = _load_table(directory, CUSTOMERS, part=part, parts=parts)
    frames = {}
    problems = []
    for table in (TRANSACTIONS, PAYMENTS):
        frame = _load_table(directory, table, part=part, parts=parts)
        problems += check_references(frame, customers["customer_id"], table.name)
        frames[table.name] = drop_rows(frame)
    raise_if_any(problems)
    return CanonicalData(drop_rows(customers), frames["transactions"], frames["payments"])


def features_part(
    directory: Path,
    out_dir: Path,
    as_of_dates: Sequence[date],
    *,
    part: int,
    parts: int,
    lookback_days: int,
) -> Path:
    """One task: the features of one partition, written to `out_dir/part-<k>.parquet`."""
    data = load_partition(directory, part=part, parts=parts)
    frame = compute_features(data, as_of_dates, lookback_days=lookback_days)
    target = out_dir / f"part-{part:05d}.parquet"
    tmp = target.with_suffix(".tmp")
    frame.write_parquet(tmp, compression="zstd")
    tmp.replace(target)
    return target


def compute_features_distributed(
    directory: Path,
    out_dir: Path,
    as_of_dates: Sequence[date],
    *,
    parts: int,
    lookback_days: int = 90,
    scheduler: str | None = "processes",
) -> list[Path]:
    """Runs `features_part` for every partition as Dask tasks; returns the written parts.

    `scheduler` is a local Dask scheduler ("processes", "threads", "synchronous"), or None to
    use the active `dask.distributed` client.
    """
    import dask

    if parts < 1:
        raise ValueError("parts must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = [
        dask.delayed(features_part)(  # type: ignore[attr-defined]
            directory, out_dir, list(as_of_dates), part=k, parts=parts, lookback_days=lookback_days
        )
        for k in range(parts)
    ]
    options = {"scheduler": scheduler} if scheduler else {}
    written: tuple[Path, ...] = dask.compute(*tasks, **options)  # type: ignore[attr-defined,no-untyped-call]
    return list(written)

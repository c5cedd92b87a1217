from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.io import write_dataset
from pde.contracts.data.validate import DataValidationError
from pde.training.features import FEATURE_NAMES, compute_features, weekly_as_of_dates
from pde.training.features.distributed import compute_features_distributed, load_partition


@pytest.fixture
def data_dir(tmp_path: Path, small_data: CanonicalData) -> Path:
    path = tmp_path / "data"
    write_dataset(small_data, path)
    return path


def test_distributed_equals_one_machine(
    data_dir: Path, tmp_path: Path, small_data: CanonicalData
) -> None:
    dates = weekly_as_of_dates(small_data)[-2:]
    parts = compute_features_distributed(
        data_dir, tmp_path / "out", dates, parts=3, scheduler="processes"
    )
    assert len(parts) == 3
    distributed = pl.concat([pl.read_parquet(p) for p in parts]).sort("customer_id", "as_of")
    single = compute_features(small_data, dates).sort("customer_id", "as_of")
    assert distributed.select("customer_id", "as_of").equals(single.select("customer_id", "as_of"))
    left = distributed.select(FEATURE_NAMES).to_numpy()
    right = single.select(FEATURE_NAMES).to_numpy()
    # the same values; sums may differ in the last bits with the order of rows in a group
    np.testing.assert_array_equal(np.isnan(left), np.isnan(right))
    np.testing.assert_allclose(np.nan_to_num(left), np.nan_to_num(right), rtol=1e-12, atol=1e-9)


def test_distributed_partitions_are_disjoint_and_complete(data_dir: Path) -> None:
    ids = [
        set(load_partition(data_dir, part=k, parts=4).customers["customer_id"]) for k in range(4)
    ]
    assert sum(len(s) for s in ids) == len(set().union(*ids)) == 40


def test_distributed_bad_row_names_the_files_row(data_dir: Path, small_data: CanonicalData) -> None:
    payments = small_data.payments.with_columns(
        amount_due=pl.when(pl.int_range(pl.len()) == 7).then(-5.0).otherwise(pl.col("amount_due"))
    )
    payments.write_parquet(data_dir / "payments.parquet")
    messages = []
    for part in range(3):
        try:
            load_partition(data_dir, part=part, parts=3)
        except DataValidationError as exc:
            messages.append(str(exc))
    assert len(messages) == 1
    assert "payments.parquet" in messages[0] and "row 8" in messages[0]


def test_distributed_cli_writes_parts(data_dir: Path, tmp_path: Path) -> None:
    from pde.cli.main import main

    out = tmp_path / "parts"
    args = ["features", "--data", str(data_dir), "--as-of", "2025-04-01", "--partitions", "2"]
    assert main([*args, "--out", str(out)]) == 0
    frame = pl.concat([pl.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))])
    assert frame.height == 40
    no_date = ["features", "--data", str(data_dir), "--partitions", "2", "--out", str(out)]
    assert main(no_date) == 1

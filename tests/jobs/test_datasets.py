"""PDE_DATA_DIR switched atomically between datasets (the last step of Generate demo data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pde.jobs.datasets import DatasetError, datasets_root, in_use, new_dataset_dir, use


def _dataset(data_dir: Path, name: str) -> Path:
    path = datasets_root(data_dir) / name
    path.mkdir(parents=True)
    (path / "customers.parquet").write_bytes(b"x")
    return path


def test_the_first_switch_keeps_the_old_data_and_later_ones_replace_the_link(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "customers.parquet").write_bytes(b"old")
    first = _dataset(data_dir, "one")
    previous = use(data_dir, first)
    assert data_dir.is_symlink() and in_use(data_dir) == first.resolve()
    assert (previous / "customers.parquet").read_bytes() == b"old"  # kept beside
    second = _dataset(data_dir, "two")
    assert use(data_dir, second) == first.resolve()
    assert (data_dir / "customers.parquet").exists() and in_use(data_dir) == second.resolve()
    assert new_dataset_dir(data_dir).parent == datasets_root(data_dir)


def test_incomplete_or_foreign_datasets_are_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    empty = datasets_root(data_dir) / "empty"
    empty.mkdir(parents=True)
    with pytest.raises(DatasetError, match="not a complete dataset"):
        use(data_dir, empty)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "customers.parquet").write_bytes(b"x")
    with pytest.raises(DatasetError, match="datasets live there"):
        use(data_dir, elsewhere)
    assert not data_dir.exists()

"""Datasets of canonical data side by side, PDE_DATA_DIR pointing at the one in use.

"Generate demo data" builds a new dataset in a directory of its own (`new_dataset_dir`), and
only its last step, once the data, the training and the scoring have all succeeded, points
PDE_DATA_DIR at it (`use`): a symbolic link replaced atomically, so the app and the jobs never
see half a dataset. The first switch moves a real PDE_DATA_DIR beside the new ones.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from pde.core.errors import PdeError

REQUIRED = ("customers",)  # a dataset without its customers table is not one


class DatasetError(PdeError):
    """The dataset cannot be used (missing, incomplete, or PDE_DATA_DIR is not switchable)."""


def datasets_root(data_dir: Path) -> Path:
    """Where the datasets live: beside PDE_DATA_DIR, `<name>.datasets/`."""
    return data_dir.parent / f"{data_dir.name}.datasets"


def new_dataset_dir(data_dir: Path, *, now: datetime | None = None) -> Path:
    """A fresh directory name for a new dataset (not created)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return datasets_root(data_dir) / stamp


def in_use(data_dir: Path) -> Path:
    """The directory PDE_DATA_DIR resolves to."""
    return data_dir.resolve()


def _complete(dataset: Path) -> bool:
    return all(any(dataset.glob(f"{name}.*")) for name in REQUIRED)


def use(data_dir: Path, dataset: Path) -> Path:
    """Points `data_dir` at `dataset`; returns the dataset used before (or None-like path
    `data_dir` itself when there was none)."""
    dataset = dataset.resolve()
    if not dataset.is_dir() or not _complete(dataset):
        raise DatasetError(f"{dataset} is not a complete dataset (no customers table)")
    root = datasets_root(data_dir).resolve()
    if dataset.parent != root:
        raise DatasetError(f"{dataset} is not under {root}: datasets live there")
    previous = in_use(data_dir)
    if data_dir.exists() and not data_dir.is_symlink():
        # The first switch: the real directory joins the datasets, then becomes a link.
        kept = root / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-before"
        data_dir.rename(kept)
        previous = kept
    link = data_dir.parent / f".{data_dir.name}.switch"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(dataset, target_is_directory=True)
    os.replace(link, data_dir)  # atomic: readers see the old or the new dataset
    return previous

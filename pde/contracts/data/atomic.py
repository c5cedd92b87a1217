"""Directories written all at once: build in a temporary sibling, then rename into place."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pde.core.errors import PdeError


@contextmanager
def atomic_directory(target: Path, *, owned: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Yields an empty temporary directory that replaces the files of `target` on success.

    Files the new directory holds replace those of `target` as one rename; files of `target`
    that the new directory does not hold are kept, except the `owned` names (files of the same
    set, such as `customers.csv` when `customers.parquet` replaces it). On error nothing
    of `target` changes and the temporary directory is removed.
    """
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise PdeError(f"{target}: exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    staging = target.parent / f".{target.name}.tmp-{token}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not target.exists():
        staging.rename(target)
        return
    previous = target.parent / f".{target.name}.old-{token}"
    target.rename(previous)
    staging.rename(target)
    for entry in previous.iterdir():
        if entry.name not in owned and not (target / entry.name).exists():
            entry.rename(target / entry.name)
    shutil.rmtree(previous, ignore_errors=True)

"""The CLI's console and progress bars (library code logs; only the CLI prints)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@lru_cache(maxsize=1)
def console() -> Console:
    return Console(highlight=False)


@lru_cache(maxsize=1)
def error_console() -> Console:
    return Console(stderr=True, highlight=False)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress display on stderr; hidden when stderr is not a terminal-capable stream."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=error_console(), transient=False) as progress:
        yield progress

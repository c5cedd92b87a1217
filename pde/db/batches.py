"""Ids for `IN (...)` queries, a bounded number at a time: SQLite caps the variables one
statement may bind, and long lists make slow plans on both databases."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

IN_QUERY_IDS = 1000


def id_batches(ids: Sequence[str], size: int = IN_QUERY_IDS) -> Iterator[list[str]]:
    """`ids` in order, `size` at a time."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])

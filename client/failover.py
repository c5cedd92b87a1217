"""Scoring a whole frame across replicas, each row exactly once, when one of them dies.

A `ScoreStream` runs on one replica. When that replica goes away mid-stream the call fails
(UNAVAILABLE) after some chunks have come back: `score_exactly_once` yields those, then opens
a new stream with only the rows not yet answered, which the channel's `round_robin` policy
sends to a replica still up. Answers come in input order, so "answered" is a prefix: no row is
yielded twice and none is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import grpc
import polars as pl

from pde.client.errors import RiskServiceError
from pde.client.requests import DEFAULT_CHUNK_ROWS
from pde.client.results import RowScore
from pde.client.sync import RiskClient

log = logging.getLogger(__name__)

# A replica that went away (killed, restarting, drained) or stopped answering in time.
RESUMABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
DEFAULT_ATTEMPTS = 4


def score_exactly_once(
    client: RiskClient,
    frame: pl.DataFrame,
    *,
    id_column: str,
    model_version: str = "",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    attempts: int = DEFAULT_ATTEMPTS,
    effects: bool = False,
    on_resume: Callable[[int, RiskServiceError], None] | None = None,
) -> Iterator[RowScore]:
    """One `RowScore` per row of `frame`, in order; a stream that fails with UNAVAILABLE or
    DEADLINE_EXCEEDED is resumed (at most `attempts - 1` times) with the rows it had not
    answered. `effects`: each row's expected effect per action too. `on_resume(rows_done,
    error)` is called before each resumption."""
    done = 0
    failures = 0
    while True:
        try:
            for chunk in client.score_batches(
                frame.slice(done),
                id_column=id_column,
                chunk_rows=chunk_rows,
                model_version=model_version,
                effects=effects,
            ):
                rows = chunk.rows()
                done += len(rows)
                yield from rows
            return
        except RiskServiceError as exc:
            failures += 1
            if exc.code not in RESUMABLE or failures >= attempts:
                raise
            log.warning(
                "score stream lost after %d of %d rows (%s); resuming on another replica",
                done,
                frame.height,
                exc.code.name,
            )
            if on_resume is not None:
                on_resume(done, exc)

"""Micro-batching: concurrent single-row requests share one ensemble call, off the event loop.

Each request awaits a future; while one batch is being scored on the executor, new requests
queue up and form the next batch. One onnxruntime call per model per batch replaces one per
request, and the event loop only parses and encodes. Rows of different bundles (during a
reload) are scored by their own bundle.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

import numpy as np

from server.bundle import LoadedBundle, RowScore, row_scores
from server.ensemble import F32

MAX_BATCH_ROWS = 256


def _score_groups(batch: list[tuple[LoadedBundle, F32]]) -> list[RowScore | Exception]:
    out: list[RowScore | Exception] = [Exception("not scored")] * len(batch)
    by_bundle: dict[int, list[int]] = {}
    for index, (bundle, _) in enumerate(batch):
        by_bundle.setdefault(id(bundle), []).append(index)
    for indices in by_bundle.values():
        bundle = batch[indices[0]][0]
        try:
            rows = row_scores(bundle.score(np.concatenate([batch[i][1] for i in indices])))
        except Exception as exc:
            for i in indices:
                out[i] = exc
            continue
        for i, row in zip(indices, rows, strict=True):
            out[i] = row
    return out


class MicroBatcher:
    """Scores rows [1, features] submitted concurrently from one event loop, in batches."""

    def __init__(self, executor: Executor, *, max_rows: int = MAX_BATCH_ROWS) -> None:
        self._executor = executor
        self._max_rows = max_rows
        self._pending: list[tuple[LoadedBundle, F32, asyncio.Future[RowScore]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None

    async def score(self, bundle: LoadedBundle, row: F32) -> RowScore:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RowScore] = loop.create_future()
        self._pending.append((bundle, row, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch = self._pending[: self._max_rows]
                del self._pending[: self._max_rows]
                work = [(bundle, row) for bundle, row, _ in batch]
                try:
                    results = await loop.run_in_executor(self._executor, _score_groups, work)
                except Exception as exc:  # the executor is shut down
                    results = [exc] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():  # the caller was cancelled
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._draining = False

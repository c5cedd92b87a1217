"""Micro-batching: concurrent single-row requests share one ensemble call, off the event loop.

Requests from the event loop go into a queue; one scoring thread takes everything queued,
scores it as one batch (one onnxruntime call per model) and hands the results back to the
loop in one callback. The loop only parses and encodes; cross-thread wake-ups happen once per
batch rather than once per request. Rows of different bundles (during a reload) are scored by
their own bundle.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

import numpy as np

from server.bundle import LoadedBundle, RowScore, row_scores
from server.ensemble import F32

log = logging.getLogger(__name__)

MAX_BATCH_ROWS = 256

_Item = tuple[LoadedBundle, F32, "asyncio.Future[RowScore]"]


def _score_groups(batch: list[_Item]) -> list[RowScore | Exception]:
    out: list[RowScore | Exception] = [RuntimeError("not scored")] * len(batch)
    by_bundle: dict[int, list[int]] = {}
    for index, item in enumerate(batch):
        by_bundle.setdefault(id(item[0]), []).append(index)
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


def _deliver(batch: list[_Item], results: list[RowScore | Exception]) -> None:
    for (_, _, future), result in zip(batch, results, strict=True):
        if future.done():  # the caller was cancelled
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)


class MicroBatcher:
    """Scores rows [1, features] submitted from one event loop, in batches, on its own thread."""

    def __init__(self, *, max_rows: int = MAX_BATCH_ROWS) -> None:
        self._max_rows = max_rows
        self._queue: queue.SimpleQueue[tuple[_Item, asyncio.AbstractEventLoop] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def score(self, bundle: LoadedBundle, row: F32) -> RowScore:
        loop = asyncio.get_running_loop()
        if self._thread is None:
            self._start()
        future: asyncio.Future[RowScore] = loop.create_future()
        self._queue.put(((bundle, row, future), loop))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="micro-batch", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stops the scoring thread after the rows already queued."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            entries = [first]
            stop = False
            while len(entries) < self._max_rows:
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is None:
                    stop = True
                    break
                entries.append(entry)
            by_loop: dict[int, tuple[asyncio.AbstractEventLoop, list[_Item]]] = {}
            for item, loop in entries:
                by_loop.setdefault(id(loop), (loop, []))[1].append(item)
            for loop, batch in by_loop.values():
                try:
                    results = _score_groups(batch)
                    loop.call_soon_threadsafe(_deliver, batch, results)
                except RuntimeError:  # the loop is closed: nobody is waiting
                    log.debug("dropped %d results of a closed event loop", len(batch))
            if stop:
                return

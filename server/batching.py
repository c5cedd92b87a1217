"""Micro-batching of one-row scoring: concurrent unary calls share one onnxruntime run.

Calls that ask for the time-to-miss forecast do not queue here (they run the hazard graph
too, see `Scorer.score_one`).

Leader and followers, no timer: a call that finds no run in progress scores its row at once,
alone (so a call that overlaps no other waits for nothing); calls arriving while a run is in
progress queue their rows. When a run ends, its leader hands the queue (up to `MAX_ROWS`
rows) to the first queued call, which scores them in one run and answers the others, then
hands on the next queue. Each thread leads at most one run before it answers its own call.

A batch of rows costs onnxruntime far less than as many single runs (the per-run overhead
and the trees' memory are shared); the batch path's numpy work is the price. `pde bench grpc`
measures the server with it on and off (PDE_GRPC_BATCHING).
"""

from __future__ import annotations

import threading

import numpy as np

from pde.server.bundle import LoadedBundle, RowScore, row_scores
from pde.server.ensemble import F32

# Largest batch of queued rows scored in one run.
MAX_ROWS = 32


class _Call:
    __slots__ = ("bundle", "done", "error", "lead", "queue", "result", "row")

    def __init__(self, bundle: LoadedBundle, row: F32) -> None:
        self.bundle = bundle
        self.row = row
        # made only for a call that queues (the one that runs alone waits for nothing)
        self.done: threading.Event | None = None
        self.result: RowScore | None = None
        self.error: BaseException | None = None
        self.lead = False
        self.queue: list[_Call] = []


def _run(calls: list[_Call]) -> None:
    """Scores the calls' rows, one run per bundle (a reload may fall between two calls)."""
    for bundle in {id(c.bundle): c.bundle for c in calls}.values():
        group = [c for c in calls if c.bundle is bundle]
        try:
            if len(group) == 1:
                group[0].result = bundle.score_row(group[0].row)
            else:
                rows = np.concatenate([c.row for c in group])
                scores = row_scores(bundle.score(rows, time_to_miss=False))
                for call, score in zip(group, scores, strict=True):
                    call.result = score
        except BaseException as exc:  # every caller in the group gets the error
            for call in group:
                call.error = exc


class RowBatcher:
    """Scores single rows, batching the ones that arrive while a run is in progress."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self._max_rows = max_rows
        self._lock = threading.Lock()
        self._queue: list[_Call] = []
        self._busy = False

    def score(self, bundle: LoadedBundle, row: F32) -> RowScore:
        call = _Call(bundle, row)
        with self._lock:
            queued = self._busy
            if queued:
                call.done = threading.Event()
                self._queue.append(call)
            self._busy = True
        if call.done is not None:
            call.done.wait()
        batch = call.queue if call.lead else ([] if queued else [call])
        if batch:
            _run(batch)
            for other in batch:
                if other is not call and other.done is not None:
                    other.done.set()
            self._hand_on()
        if call.error is not None:
            raise call.error
        assert call.result is not None
        return call.result

    def _hand_on(self) -> None:
        """Gives the queued calls to the first of them to score, or ends the busy spell."""
        with self._lock:
            batch, self._queue = self._queue[: self._max_rows], self._queue[self._max_rows :]
            if not batch:
                self._busy = False
                return
        leader = batch[0]
        leader.queue, leader.lead = batch, True
        if leader.done is not None:  # always: it queued
            leader.done.set()

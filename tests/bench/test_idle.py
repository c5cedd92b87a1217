"""`pde.bench.idle`: one call timed back to back, after a busy gap and after an idle gap."""

from __future__ import annotations

import time

import numpy as np

from pde.bench.idle import after_gaps


def test_each_way_times_every_row_and_spends_the_gap_outside_the_timing() -> None:
    rows = np.zeros((20, 3), dtype=np.float32)
    seen: list[tuple[int, int]] = []

    def call(row: np.ndarray) -> None:
        seen.append(row.shape)
        time.sleep(0.001)

    started = time.perf_counter()
    figures = after_gaps(call, rows, gap_seconds=0.005)
    elapsed = time.perf_counter() - started
    # a warm-up pass and three timed ones, each call on one [1, 3] row
    assert seen == [(1, 3)] * 80
    # the gaps (2 x 20 x 5 ms) were spent, but none of them is in a call's time
    assert elapsed >= 0.2
    for figure in (figures.back_to_back_us, figures.busy_us, figures.idle_us):
        assert 1000 <= figure < 5000

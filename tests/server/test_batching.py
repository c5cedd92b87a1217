"""Micro-batching of one-row scoring: rows queued behind a run are scored in one batch and
each caller gets its own row's score; an error reaches every caller of its batch."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pde.server.batching import RowBatcher
from pde.server.bundle import load_bundle, synthetic_rows


class _Gated:
    """A bundle whose first one-row run waits for a gate, so that calls queue behind it."""

    def __init__(self, real: Any, *, fail: bool = False) -> None:
        self.real = real
        self.gate = threading.Event()
        self.batches: list[int] = []
        self.fail = fail

    def score_row(self, row: Any) -> Any:
        self.gate.wait(10)
        self.batches.append(1)
        return self.real.score_row(row)

    def score(self, rows: Any, *, time_to_miss: bool = True) -> Any:
        self.batches.append(len(rows))
        if self.fail:
            raise RuntimeError("the run failed")
        return self.real.score(rows, time_to_miss=time_to_miss)


def _score_all(batcher: RowBatcher, bundle: Any, rows: Any) -> tuple[list[Any], list[Any]]:
    results: list[Any] = [None] * len(rows)
    errors: list[Any] = [None] * len(rows)

    def call(index: int) -> None:
        try:
            results[index] = batcher.score(bundle, rows[index : index + 1])
        except Exception as exc:
            errors[index] = exc

    first = threading.Thread(target=call, args=(0,))
    first.start()
    time.sleep(0.2)  # the first call is in its run, held by the gate
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, len(rows))]
    for thread in others:
        thread.start()
    time.sleep(0.3)  # every other call has queued
    bundle.gate.set()
    for thread in [first, *others]:
        thread.join(10)
    return results, errors


def test_batching_scores_queued_rows_in_one_run_each_their_own(bundle_dir: Path) -> None:
    real = load_bundle(bundle_dir)
    rows = synthetic_rows(real.spec, rows=9, seed=4)
    gated = _Gated(real)
    results, errors = _score_all(RowBatcher(max_rows=32), gated, rows)
    assert errors == [None] * 9
    assert gated.batches == [1, 8]  # the first alone, the 8 queued behind it in one run
    for index, result in enumerate(results):
        alone = real.score_row(rows[index : index + 1])
        assert result.probability == pytest.approx(alone.probability, abs=1e-12)
        assert (result.tier, result.alert) == (alone.tier, alone.alert)
        assert np.allclose(result.per_model, alone.per_model, rtol=0, atol=1e-12)
        assert result.miss is None  # the forecast is not asked for: no hazard run


def test_batching_limits_a_batch_and_hands_the_rest_on(bundle_dir: Path) -> None:
    real = load_bundle(bundle_dir)
    rows = synthetic_rows(real.spec, rows=8, seed=8)
    gated = _Gated(real)
    results, errors = _score_all(RowBatcher(max_rows=3), gated, rows)
    assert errors == [None] * 8 and all(r is not None for r in results)
    assert gated.batches[0] == 1 and sorted(gated.batches[1:]) == [1, 3, 3]


def test_batching_gives_a_runs_error_to_every_caller_of_its_batch(bundle_dir: Path) -> None:
    real = load_bundle(bundle_dir)
    rows = synthetic_rows(real.spec, rows=5, seed=9)
    gated = _Gated(real, fail=True)
    batcher = RowBatcher()
    results, errors = _score_all(batcher, gated, rows)
    assert results[0] is not None and errors[0] is None
    assert all(isinstance(e, RuntimeError) for e in errors[1:])
    # the batcher is free again: a later call runs at once
    assert batcher.score(real, rows[:1]).probability == pytest.approx(
        real.score_row(rows[:1]).probability
    )

"""The native models live in the bundle's explainer process: explanations go through it,
a dead explainer fails one call and is restarted by the next, closing the bundle ends it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from pde.server.bundle import load_bundle, synthetic_rows
from pde.server.errors import ScoringError
from pde.server.explain import ensemble_contributions


def _gone(pid: int, *, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a child that exited stays a zombie until reaped; count it as gone
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        time.sleep(0.05)
    return False


def test_explainer_is_a_child_process_restarted_after_it_dies(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    assert bundle.explainer is not None
    pid = bundle.explainer.pid
    assert pid is not None and pid != os.getpid()
    rows = synthetic_rows(bundle.spec, rows=4, seed=2)
    before = ensemble_contributions(bundle, rows)
    os.kill(pid, signal.SIGKILL)
    assert _gone(pid)
    with pytest.raises(ScoringError, match="process ended"):
        ensemble_contributions(bundle, rows)
    again = ensemble_contributions(bundle, rows)  # a new process answers
    assert bundle.explainer.pid not in (None, pid)
    np.testing.assert_array_equal(again, before)
    # scoring never needed it
    assert bundle.score(rows).probability.shape == (4,)
    bundle.close()


def test_explainer_ends_with_its_bundle(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    assert bundle.explainer is not None
    pid = bundle.explainer.pid
    assert pid is not None
    bundle.close()
    assert _gone(pid)
    rows = synthetic_rows(bundle.spec, rows=2, seed=3)
    with pytest.raises(ScoringError, match="replaced"):
        ensemble_contributions(bundle, rows)
    assert bundle.score(rows).probability.shape == (2,)  # scoring goes on

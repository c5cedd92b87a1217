"""Synthetic rows with a known signal, and each learner's model fitted on them."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from pde.core.names import MODEL_NAMES
from pde.training.learners import FitData, FitOptions, get_learner

# Before xgboost or lightgbm load OpenMP (they are imported lazily): no spinning threads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="session")
def rows() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """float32 rows of 6 features (10% missing; the last one constant) and 0/1 labels, about
    20% positive, in three parts: 'fit', 'validation' and 'held' (held out)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2000, 6))
    logit = -1.8 + 1.3 * x[:, 0] - 0.9 * x[:, 1] + 0.7 * x[:, 2] * x[:, 3]
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, -1] = 1.0
    x = x.astype(np.float32)
    return {
        "fit": (x[:1200], y[:1200]),
        "validation": (x[1200:1600], y[1200:1600]),
        "held": (x[1600:], y[1600:]),
    }


@pytest.fixture(scope="session")
def fit_options() -> FitOptions:
    """At most 200 trees, class weights, one thread."""
    return FitOptions(rounds=200, stop_rounds=15, threads=1, seed=3, balanced=True)


@pytest.fixture(scope="session")
def fitted(
    rows: dict[str, tuple[np.ndarray, np.ndarray]], fit_options: FitOptions
) -> dict[str, Any]:
    """Each learner's model with its default settings, stopped early on the validation rows."""
    data = FitData(*rows["fit"], validation=rows["validation"])
    return {
        name: get_learner(name).fit(get_learner(name).defaults, data, fit_options)
        for name in MODEL_NAMES
    }

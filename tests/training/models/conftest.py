"""Small synthetic training data: a plain table and a weekly customer panel with known truth."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from pde.training.learners import get_learner
from pde.training.models import (
    TrainConfig,
    TrainingFrame,
    frame_from_table,
    frame_from_training_table,
)
from pde.training.models.fitting import fit_model
from pde.training.models.preprocess import apply_clip

# Before xgboost or lightgbm load OpenMP (they are imported lazily): no spinning threads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

N_FEATURES = 8


def _features_and_truth(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, N_FEATURES))
    logit = -2.2 + 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.6 * x[:, 2] * x[:, 3]
    truth = 1 / (1 + np.exp(-logit))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, N_FEATURES - 1] = 0.0  # a useless constant feature, for pruning
    return x, truth


@pytest.fixture(scope="session")
def table() -> pl.DataFrame:
    """1,600 rows, 800 customers (two rows each), about 15% positive, 10% missing values."""
    x, truth = _features_and_truth(1600, seed=1)
    y = (np.random.default_rng(2).random(1600) < truth).astype(np.int8)
    columns = {f"f{i}": x[:, i] for i in range(N_FEATURES)}
    return pl.DataFrame({"customer": [f"c{i // 2}" for i in range(1600)], **columns, "default": y})


@pytest.fixture(scope="session")
def table_frame(table: pl.DataFrame) -> TrainingFrame:
    return frame_from_table(table, label="default", id_column="customer")


@pytest.fixture(scope="session")
def panel_frame() -> TrainingFrame:
    """300 customers x 16 weekly as-of dates, shaped like build_training_table's output."""
    customers, weeks = 300, 16
    x, truth = _features_and_truth(customers * weeks, seed=3)
    y = (np.random.default_rng(4).random(len(truth)) < truth).astype(np.int8)
    start = date(2025, 1, 6)
    as_of = [start + timedelta(weeks=w) for w in range(weeks) for _ in range(customers)]
    ids = [f"c{c:04d}" for _ in range(weeks) for c in range(customers)]
    names = tuple(f"feat_{i}" for i in range(N_FEATURES))
    training_table = pl.DataFrame(
        {
            "customer_id": ids,
            "as_of": as_of,
            "label": pl.Series(y, dtype=pl.Int8),
            **{name: x[:, i] for i, name in enumerate(names)},
        }
    )
    truth_table = pl.DataFrame({"customer_id": ids, "as_of": as_of, "true_probability": truth})
    return frame_from_training_table(
        training_table, feature_names=names, catalogue_version="test-v0", truth=truth_table
    )


@pytest.fixture(scope="session")
def fitted(table_frame: TrainingFrame) -> tuple[dict[str, Any], np.ndarray]:
    """The three native models fitted on half the table, and the other half's float32 rows."""
    config = TrainConfig.quick_run()
    x = apply_clip(table_frame.x, table_frame.feature_names, {})
    half = table_frame.n_rows // 2
    models = {
        name: fit_model(
            name,
            dict(get_learner(name).defaults),
            x_train=x[:half],
            y_train=table_frame.y[:half],
            x_val=x[half:],
            y_val=table_frame.y[half:],
            config=config,
        ).model
        for name in ("catboost", "xgboost", "lightgbm")
    }
    return models, x[half:]

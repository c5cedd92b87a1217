"""Fitting one member of the ensemble with a run's settings, and its validation AUC.

Each fit stops early on the validation AUC and returns the native model cut to its best
iteration (see `pde.training.learners`), so native predictions, the saved file and the ONNX
graph all use the same trees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.training.learners import FitData, FitOptions, Params, get_learner
from pde.training.models.config import TrainConfig


@dataclass(frozen=True)
class Fitted:
    """A fitted native model, its tree count and its validation AUC (NaN without validation)."""

    name: str
    model: Any
    params: Params
    trees: int
    validation_auc: float


def fit_options(config: TrainConfig, *, trees: int | None = None) -> FitOptions:
    """The run's settings for a learner; class weights balance the classes unless SMOTE
    already did (config.smote)."""
    return FitOptions(
        rounds=trees or config.max_trees,
        stop_rounds=config.early_stopping_rounds,
        threads=config.threads,
        seed=config.seed,
        balanced=not config.smote,
    )


def fit_model(
    name: str,
    params: Params,
    *,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: TrainConfig,
    trees: int | None = None,
) -> Fitted:
    """Fits with early stopping on (x_val, y_val), or exactly `trees` trees without validation."""
    from sklearn.metrics import roc_auc_score

    learner = get_learner(name)
    watched = (x_val, y_val) if trees is None and x_val is not None and y_val is not None else None
    data = FitData(x_train, y_train, watched)
    model = learner.fit(params, data, fit_options(config, trees=trees))
    auc = math.nan
    if x_val is not None and y_val is not None:
        predicted = learner.predict(model, x_val, threads=config.threads)
        auc = float(roc_auc_score(y_val, predicted))
    return Fitted(name, model, params, learner.tree_count(model), auc)

"""Tuning keeps the trial cheapest to score within one standard error of the best AUC."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pde.core.names import MODEL_NAMES
from pde.training.learners import get_learner
from pde.training.models import TrainConfig
from pde.training.models.tuning import Trial, auc_standard_error, choose_trial, random_search


def _scored(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.1).astype(np.int8)
    return y, rng.normal(size=rows) + 1.2 * y


def test_auc_standard_error_matches_the_bootstrap() -> None:
    y, score = _scored(4000, seed=3)
    auc = float(roc_auc_score(y, score))
    rng = np.random.default_rng(5)
    draws = []
    for _ in range(300):
        pick = rng.integers(0, len(y), len(y))
        draws.append(roc_auc_score(y[pick], score[pick]))
    bootstrap = float(np.std(draws, ddof=1))
    assert auc_standard_error(auc, y) == pytest.approx(bootstrap, rel=0.2)
    assert auc_standard_error(auc, np.zeros(10)) == 0.0  # one class: no spread to speak of


def _trial(auc: float, cost: float) -> Trial:
    return Trial(params={}, trees=int(cost), validation_auc=auc, seconds=0.0, cost=cost)


def test_choose_trial_keeps_the_cheapest_within_one_standard_error() -> None:
    y, _ = _scored(2000, seed=1)
    se = auc_standard_error(0.83, y)
    trials = [
        _trial(0.83, 900.0),  # the best AUC, the dearest
        _trial(0.83 - 0.5 * se, 300.0),  # within one standard error, cheaper
        _trial(0.83 - 0.9 * se, 200.0),  # within, the cheapest in the band
        _trial(0.83 - 3.0 * se, 50.0),  # cheapest of all, but clearly worse
    ]
    assert choose_trial(trials, y, parsimony_se=1.0) == 2
    assert choose_trial(trials, y, parsimony_se=0.0) == 0
    assert choose_trial(trials, y, parsimony_se=5.0) == 3


def test_learners_give_the_depth_of_their_trees() -> None:
    depths = {name: get_learner(name).depth(get_learner(name).defaults) for name in MODEL_NAMES}
    assert depths == {"catboost": 6.0, "xgboost": 5.0, "lightgbm": pytest.approx(np.log2(31))}


def test_random_search_keeps_one_trial_and_returns_its_model() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6000, 6)).astype(np.float32)
    y = (rng.random(6000) < 1 / (1 + np.exp(2.0 - 1.5 * x[:, 0] + x[:, 1]))).astype(np.int8)
    x_train, y_train, x_val, y_val = x[:4000], y[:4000], x[4000:], y[4000:]
    config = TrainConfig.quick_run(trials=4)
    tuned = random_search(
        "lightgbm",
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        config=config,
        progress=lambda stage, detail: None,
    )
    kept = [t for t in tuned.trials if t.chosen]
    assert len(kept) == 1 and len(tuned.trials) == 4
    assert tuned.trees == kept[0].trees and tuned.params == kept[0].params
    assert tuned.best.validation_auc == kept[0].validation_auc
    floor = max(t.validation_auc for t in tuned.trials) - auc_standard_error(
        max(t.validation_auc for t in tuned.trials), y_val
    )
    band = [t for t in tuned.trials if t.validation_auc >= floor]
    assert kept[0].cost == min(t.cost for t in band)
    for trial in tuned.trials:
        assert trial.cost == pytest.approx(
            trial.trees * get_learner("lightgbm").depth(trial.params)
        )

"""Random-search tuning per library and the grouped cross-validation of the chosen settings."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pde.training.learners import get_learner
from pde.training.models.config import StageCallback, TrainConfig
from pde.training.models.fitting import Fitted, fit_model
from pde.training.models.preprocess import smote_resample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trial:
    params: dict[str, Any]
    trees: int
    validation_auc: float
    seconds: float
    # Decisions per scored row: trees x depth (`Learner.depth`), what serving it costs.
    cost: float = 0.0
    chosen: bool = False


def auc_standard_error(auc: float, y: np.ndarray) -> float:
    """The standard error of an AUC on labels `y` (Hanley and McNeil, 1982)."""
    positives = float(np.sum(y))
    negatives = float(len(y)) - positives
    if positives < 1 or negatives < 1:
        return 0.0
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    return math.sqrt(max(variance, 0.0))


def choose_trial(trials: list[Trial], y_val: np.ndarray, *, parsimony_se: float) -> int:
    """The one-standard-error rule: of the trials whose validation AUC is within
    `parsimony_se` standard errors of the best, the one cheapest to score (fewest decisions
    per row; then the higher AUC). 0 picks the best AUC. Returns its index."""
    best = max(t.validation_auc for t in trials)
    floor = best - parsimony_se * auc_standard_error(best, y_val)
    near = [i for i, t in enumerate(trials) if t.validation_auc >= floor]
    return min(near, key=lambda i: (trials[i].cost, -trials[i].validation_auc, i))


@dataclass(frozen=True)
class Tuned:
    """The best trial's model, settings and tree count, and every trial for the report."""

    name: str
    best: Fitted
    trials: list[Trial] = field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        return self.best.params

    @property
    def trees(self) -> int:
        return self.best.trees


def random_search(
    name: str,
    *,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    config: TrainConfig,
    progress: StageCallback,
) -> Tuned:
    """`config.trials` settings (the first the library defaults), chosen by validation AUC
    with the one-standard-error rule (`choose_trial`)."""
    import time

    learner = get_learner(name)
    rng = np.random.default_rng(config.seed + len(name))
    trials: list[Trial] = []
    fits: list[Fitted] = []
    for trial in range(config.trials):
        params = learner.sample_params(rng, trial)
        progress("tune", f"{name} trial {trial + 1}/{config.trials}")
        start = time.perf_counter()
        fitted = fit_model(
            name,
            params,
            x_train=x_train,
            y_train=y_train,
            x_val=x_val,
            y_val=y_val,
            config=config,
        )
        seconds = time.perf_counter() - start
        cost = fitted.trees * learner.depth(fitted.params)
        trials.append(Trial(params, fitted.trees, fitted.validation_auc, seconds, cost))
        fits.append(fitted)
        log.info(
            "%s trial %d: AUC %.4f, %d trees, %.0f decisions per row",
            name,
            trial,
            fitted.validation_auc,
            fitted.trees,
            cost,
        )
    chosen = choose_trial(trials, y_val, parsimony_se=config.parsimony_se)
    trials[chosen] = replace(trials[chosen], chosen=True)
    return Tuned(name, fits[chosen], trials)


@dataclass(frozen=True)
class CrossValidation:
    """Held-out fold AUCs per model and for the weighted ensemble."""

    fold_auc: dict[str, list[float]]
    rows: int

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "cv_auc_mean": float(np.mean(values)),
                "cv_auc_std": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
            }
            for name, values in self.fold_auc.items()
        }


def cross_validate(
    tuned: dict[str, Tuned],
    folds: list[tuple[np.ndarray, np.ndarray]],
    *,
    x: np.ndarray,
    y: np.ndarray,
    weights: dict[str, float],
    config: TrainConfig,
    progress: StageCallback,
) -> CrossValidation:
    """Refits each model with its tuned settings and tree count on every fold.

    x is already clipped and pruned; the ensemble AUC uses the raw weighted average
    (calibration is monotone, so it would not change the ranking much).
    """
    from sklearn.metrics import roc_auc_score

    fold_auc: dict[str, list[float]] = {name: [] for name in (*tuned, "ensemble")}
    learners = {name: get_learner(name) for name in tuned}
    for number, (fit_rows, held_rows) in enumerate(folds, start=1):
        blend = np.zeros(len(held_rows))
        for name, best in tuned.items():
            progress("cross-validate", f"fold {number}/{len(folds)} {name}")
            x_fit, y_fit = x[fit_rows], y[fit_rows]
            if config.smote:
                x_fit, y_fit = smote_resample(x_fit, y_fit, seed=config.seed)
            fitted = fit_model(
                name,
                best.params,
                x_train=x_fit,
                y_train=y_fit,
                x_val=None,
                y_val=None,
                config=config,
                trees=max(best.trees, 1),
            )
            predicted = learners[name].predict(fitted.model, x[held_rows], threads=config.threads)
            fold_auc[name].append(float(roc_auc_score(y[held_rows], predicted)))
            blend += weights[name] * predicted
        fold_auc["ensemble"].append(float(roc_auc_score(y[held_rows], blend)))
    rows = sum(len(held) for _, held in folds)
    return CrossValidation(fold_auc, rows)

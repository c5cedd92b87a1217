"""Held-out evaluation: per-model vs ensemble figures, curves, tiers, SHAP, oracle, SMOTE effect.

Everything returned is plain JSON data: it is both `metrics.json` and what the report draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.bundle import Calibration, TierBand
from pde.decision import tier_of
from pde.training.learners import get_learner
from pde.training.models.calibration import Method, calibrate, fit_method
from pde.training.models.config import OPERATING_RECALL, TrainConfig
from pde.training.models.decision import recall_threshold
from pde.training.models.fitting import fit_model
from pde.training.models.metrics import binary_metrics, curves
from pde.training.models.tuning import Tuned

SHAP_ROWS = 1000
SHAP_TOP = 20


@dataclass(frozen=True)
class Scores:
    """Each model's raw probabilities and the calibrated ensemble, on validation and test."""

    validation: dict[str, np.ndarray]
    test: dict[str, np.ndarray]
    y_validation: np.ndarray
    y_test: np.ndarray


def per_model_metrics(
    scores: Scores,
    *,
    threshold: float,
    calibration_method: Method,
) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    """Figures on test for every entry of `scores` (models calibrated alone, like the ensemble).

    `scores` must hold the calibrated ensemble under 'ensemble'; the models' raw probabilities
    are calibrated on validation with the same method so the table compares like with like.
    Returns the metrics and the calibrated test probabilities per name.
    """
    results: dict[str, dict[str, Any]] = {}
    calibrated: dict[str, np.ndarray] = {}
    for name in scores.test:
        if name == "ensemble":
            p_val, p_test = scores.validation[name], scores.test[name]
        else:
            fitted = fit_method(scores.validation[name], scores.y_validation, calibration_method)
            own = fitted or Calibration(method="platt")  # not increasing: the raw scores
            p_val = calibrate(scores.validation[name], own)
            p_test = calibrate(scores.test[name], own)
        operating = recall_threshold(p_val, scores.y_validation, recall=OPERATING_RECALL)
        results[name] = binary_metrics(
            p_test, scores.y_test, threshold=threshold, operating_threshold=operating
        )
        results[name]["validation_auc"] = binary_metrics(
            p_val, scores.y_validation, threshold=threshold
        )["auc"]
        calibrated[name] = p_test
    return results, calibrated


def all_curves(calibrated: dict[str, np.ndarray], y: np.ndarray) -> dict[str, Any]:
    return {name: curves(p, y) for name, p in calibrated.items()}


def tier_table(p: np.ndarray, y: np.ndarray, tiers: list[TierBand]) -> list[dict[str, Any]]:
    """Rows, share and observed default rate per tier on the test rows."""
    index = tier_of(p, tiers)
    table = []
    for number, band in enumerate(tiers):
        members = index == number
        count = int(members.sum())
        table.append(
            {
                "tier": band.name,
                "lower": band.lower,
                "upper": band.upper,
                "rows": count,
                "share": count / max(len(p), 1),
                "default_rate": float(y[members].mean()) if count else None,
            }
        )
    return table


def shap_importance(
    models: dict[str, Any],
    x: np.ndarray,
    *,
    names: list[str],
    weights: dict[str, float],
    seed: int,
    threads: int = 1,
) -> dict[str, list[dict[str, Any]]]:
    """Mean |SHAP| (log-odds) per feature on up to SHAP_ROWS test rows, top 20 per model.

    The ensemble's importance is the weighted average of the models' (an approximation: the
    models are averaged in probability, not log-odds).
    """
    rng = np.random.default_rng(seed)
    rows = x[np.sort(rng.choice(len(x), size=min(SHAP_ROWS, len(x)), replace=False))]
    per_model: dict[str, np.ndarray] = {}
    for name, model in models.items():
        values = get_learner(name).contributions(model, rows, threads=threads)
        per_model[name] = np.abs(values[:, :-1]).mean(axis=0)  # the bias (last) is no feature's
    per_model["ensemble"] = np.sum([weights[n] * per_model[n] for n in models], axis=0)

    def top(values: np.ndarray) -> list[dict[str, Any]]:
        order = np.argsort(-values, kind="stable")[:SHAP_TOP]
        return [{"feature": names[i], "mean_abs_shap": float(values[i])} for i in order]

    return {name: top(values) for name, values in per_model.items()}


def oracle_figures(
    truth: np.ndarray | None, y: np.ndarray, ensemble_p: np.ndarray
) -> dict[str, Any] | None:
    """The simulator's true probabilities' AUC on the same test rows, and the ensemble's gap."""
    if truth is None:
        return None
    from sklearn.metrics import roc_auc_score

    known = ~np.isnan(truth)
    if known.sum() == 0 or y[known].min() == y[known].max():
        return None
    oracle = float(roc_auc_score(y[known], truth[known]))
    ensemble = float(roc_auc_score(y[known], ensemble_p[known]))
    return {
        "rows": int(known.sum()),
        "oracle_auc": oracle,
        "ensemble_auc": ensemble,
        "gap": oracle - ensemble,
    }


def smote_effect(
    tuned: dict[str, Tuned],
    natives: dict[str, Any],
    *,
    plain: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    method: Method,
    config: TrainConfig,
) -> dict[str, Any]:
    """Test AUC, PR-AUC and Brier (each calibrated alone) of the SMOTE models vs the same
    settings trained with class weights on the rows before resampling."""
    from dataclasses import replace

    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    weighted_config = replace(config, smote=False)
    effect: dict[str, Any] = {}
    for name, natives_model in natives.items():
        learner = get_learner(name)
        weighted = fit_model(
            name,
            tuned[name].params,
            x_train=plain[0],
            y_train=plain[1],
            x_val=None,
            y_val=None,
            config=weighted_config,
            trees=max(tuned[name].trees, 1),
        ).model
        effect[name] = {}
        for label, model in (("smote", natives_model), ("class_weights", weighted)):
            p_val = learner.predict(model, validation[0], threads=config.threads)
            own = fit_method(p_val, validation[1], method) or Calibration(method="platt")
            p = calibrate(learner.predict(model, test[0], threads=config.threads), own)
            effect[name][label] = {
                "auc": float(roc_auc_score(test[1], p)),
                "pr_auc": float(average_precision_score(test[1], p)),
                "brier": float(brier_score_loss(test[1], p)),
            }
    return effect

"""The modelling stages of a run: tune, fit, ensemble, cross-validate, threshold, evaluate,
export. Each takes the values earlier stages returned and returns its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.bundle import Calibration
from pde.core.names import MODEL_NAMES
from pde.training.learners import OnnxGraph, get_learner
from pde.training.models.calibration import Method, calibrate, choose_calibration
from pde.training.models.config import StageCallback, TrainConfig
from pde.training.models.decision import Decision, held_out_alerts, policy_figures
from pde.training.models.decision import decide as decide_policy
from pde.training.models.ensemble import blend, learn_weights
from pde.training.models.evaluation import (
    Scores,
    all_curves,
    oracle_figures,
    per_model_metrics,
    shap_importance,
    smote_effect,
    tier_table,
)
from pde.training.models.fitting import fit_model
from pde.training.models.frame import TrainingFrame
from pde.training.models.onnx_export import check_parity, parity_rows
from pde.training.models.prepare import Features, Matrices, Rows
from pde.training.models.splits import cv_folds, sample_by_group
from pde.training.models.summary import imbalance_note
from pde.training.models.tuning import CrossValidation, Tuned, cross_validate, random_search

PARITY_MAX_ROWS = 20_000

# Each member's native model (see pde.training.learners), by name.
Natives = dict[str, Any]


@dataclass(frozen=True)
class Blend:
    """Each member's probabilities and the calibrated ensemble's ('ensemble'), on validation
    and test, with the weights and calibration that made the ensemble."""

    p_val: dict[str, np.ndarray]
    p_test: dict[str, np.ndarray]
    weights: dict[str, float]
    calibration: Calibration
    # Out-of-fold validation log-loss of each calibration candidate.
    candidates: dict[str, float]

    @property
    def method(self) -> Method:
        """The chosen calibration method (the per-model figures use it too)."""
        method = self.calibration.method
        return method if method in ("platt", "beta", "isotonic_interp") else "platt"  # type: ignore[return-value]


@dataclass(frozen=True)
class CrossValidated:
    """Fold AUCs of the tuned settings, and how many rows the folds drew from."""

    cv: CrossValidation
    rows: int


@dataclass(frozen=True)
class Evaluation:
    """Figures per model and the ensemble's, and the report's other results."""

    metrics: dict[str, dict[str, Any]]
    results: dict[str, Any]


@dataclass(frozen=True)
class Exported:
    """The ONNX graphs, their parity with the native models, and the rows checked."""

    graphs: dict[str, OnnxGraph]
    parity: dict[str, float]
    rows: np.ndarray


def tune(m: Matrices, *, config: TrainConfig, progress: StageCallback) -> dict[str, Tuned]:
    """Random search per member on the tuning rows, stopping on the stopping rows."""
    tuned: dict[str, Tuned] = {}
    for name in MODEL_NAMES:
        tuned[name] = random_search(
            name,
            x_train=m.x_tune,
            y_train=m.y_tune,
            x_val=m.x_stop,
            y_val=m.y_stop,
            config=config,
            progress=progress,
        )
    return tuned


def fit(
    m: Matrices, tuned: dict[str, Tuned], *, config: TrainConfig, progress: StageCallback
) -> Natives:
    """Each member refitted with its tuned settings on all fitting rows (unless tuning used
    them all already)."""
    natives: Natives = {}
    for name in MODEL_NAMES:
        if m.tune_is_fit:
            natives[name] = tuned[name].best.model
            continue
        progress("fit", name)
        natives[name] = fit_model(
            name,
            tuned[name].params,
            x_train=m.x_fit,
            y_train=m.y_fit,
            x_val=m.x_stop,
            y_val=m.y_stop,
            config=config,
        ).model
    return natives


def ensemble(natives: Natives, m: Matrices, *, config: TrainConfig) -> Blend:
    """The members' weighted average, calibrated on validation."""
    p_val, p_test = {}, {}
    for name in MODEL_NAMES:
        learner = get_learner(name)
        p_val[name] = learner.predict(natives[name], m.x_val, threads=config.threads)
        p_test[name] = learner.predict(natives[name], m.x_test, threads=config.threads)
    weights = learn_weights(p_val, m.y_val) if config.learn_weights else dict(config.weights)
    choice = choose_calibration(
        blend(p_val, weights), m.y_val, method=config.calibration, seed=config.seed
    )
    p_val["ensemble"] = calibrate(blend(p_val, weights), choice.calibration)
    p_test["ensemble"] = calibrate(blend(p_test, weights), choice.calibration)
    return Blend(p_val, p_test, weights, choice.calibration, choice.candidates)


def cross_validation(
    frame: TrainingFrame,
    rows: Rows,
    features: Features,
    tuned: dict[str, Tuned],
    *,
    weights: dict[str, float],
    config: TrainConfig,
    progress: StageCallback,
) -> CrossValidated:
    """Folds over the training and validation rows (all of them, up to `cv_max_rows`), each
    customer kept on one side. Every row is scored once, held out; each fold's models fit on
    at most `fit_max_rows` of the other rows, as the bundle's models are, so the figures are
    those of the training procedure that made the bundle."""
    dev = np.sort(np.concatenate([rows.split.train, rows.split.validation]))
    cv_rows = sample_by_group(dev, None, max_rows=config.cv_max_rows, seed=config.seed + 3)
    groups = frame.groups[cv_rows] if frame.groups is not None else None
    folds = [
        (sample_by_group(fit_part, None, max_rows=config.fit_max_rows, seed=config.seed + i), held)
        for i, (fit_part, held) in enumerate(
            cv_folds(
                np.arange(len(cv_rows)),
                frame.y[cv_rows],
                groups,
                folds=config.cv_folds,
                seed=config.seed,
            )
        )
    ]
    cv = cross_validate(
        tuned,
        folds,
        x=features.prepare(frame, cv_rows),
        y=frame.y[cv_rows],
        weights=weights,
        config=config,
        progress=progress,
    )
    return CrossValidated(cv, len(cv_rows))


def decide(blended: Blend, m: Matrices, frame: TrainingFrame, *, config: TrainConfig) -> Decision:
    """The break-even floor of the policy, and tiers anchored on base rate and capacity."""
    return decide_policy(blended.p_val["ensemble"], m.y_val, frame=frame, policy=config.policy)


def evaluate(
    frame: TrainingFrame,
    rows: Rows,
    features: Features,
    m: Matrices,
    *,
    tuned: dict[str, Tuned],
    natives: Natives,
    blended: Blend,
    cross_validated: CrossValidated,
    decision: Decision,
    config: TrainConfig,
) -> Evaluation:
    """Held-out figures, curves, tiers, SHAP importance, the oracle, and SMOTE's effect."""
    scores = Scores(blended.p_val, blended.p_test, m.y_val, m.y_test)
    metrics, calibrated = per_model_metrics(
        scores, threshold=decision.threshold, calibration_method=blended.method
    )
    for name, figures in cross_validated.cv.summary().items():
        metrics[name].update(figures)
    truth = frame.truth[rows.split.test] if frame.truth is not None else None
    importance = shap_importance(
        natives,
        m.x_test,
        names=features.names,
        weights=blended.weights,
        seed=config.seed,
        threads=config.threads,
    )
    alerts = held_out_alerts(
        blended.p_test["ensemble"], frame=frame, rows=rows.split.test, policy=config.policy
    )
    results: dict[str, Any] = {
        "alerts": policy_figures(alerts, m.y_test, decision=decision, policy=config.policy),
        "calibration_candidates": blended.candidates,
        "tiers": tier_table(blended.p_test["ensemble"], m.y_test, decision.tiers),
        "curves": all_curves(calibrated, m.y_test),
        "shap_top20": importance,
        "oracle": oracle_figures(truth, m.y_test, blended.p_test["ensemble"]),
        "imbalance": {"method": imbalance_note(config)},
    }
    if config.smote:
        results["imbalance"]["smote_effect"] = smote_effect(
            tuned,
            natives,
            plain=(features.prepare(frame, rows.fit), frame.y[rows.fit]),
            validation=(m.x_val, m.y_val),
            test=(m.x_test, m.y_test),
            method=blended.method,
            config=config,
        )
    return Evaluation(metrics, results)


def export(natives: Natives, m: Matrices, features: Features, *, config: TrainConfig) -> Exported:
    """Each member's ONNX graph, checked against its native model on test rows plus copies
    with missing values (ParityError beyond the tolerance)."""
    rows = parity_rows(m.x_test[:PARITY_MAX_ROWS], seed=config.seed)
    graphs: dict[str, OnnxGraph] = {}
    parity: dict[str, float] = {}
    for name in MODEL_NAMES:
        graphs[name] = get_learner(name).export_onnx(natives[name], n_features=len(features.names))
    for name in MODEL_NAMES:
        parity[name] = check_parity(
            name,
            natives[name],
            graphs[name],
            rows,
            tolerance=config.parity_tolerance,
            threads=config.threads,
        )
    return Exported(graphs, parity, rows)

"""The training run as named stages: split, clip, prune, tune, fit, cross-validate, ensemble,
threshold, evaluate, export, write. Each stage is timed and announced through `progress`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from training.bundle import MODEL_NAMES, Manifest, read_manifest
from training.models.bundle_writer import BundleContents, bundle_version, write_bundle
from training.models.config import OPERATING_RECALL, StageCallback, TrainConfig, no_progress
from training.models.decision import cost_threshold, risk_tiers
from training.models.ensemble import blend, calibrate, fit_calibration, learn_weights
from training.models.evaluation import (
    Scores,
    all_curves,
    oracle_figures,
    per_model_metrics,
    shap_importance,
    tier_table,
)
from training.models.frame import TrainingFrame
from training.models.learners import fit_model
from training.models.native import predict_native, tree_count
from training.models.onnx_export import check_parity, export_onnx, parity_rows
from training.models.preprocess import apply_clip, clip_bounds, prune_features, smote_resample
from training.models.report import render_report
from training.models.splits import cv_folds, make_split, sample_by_group
from training.models.tuning import Tuned, cross_validate, random_search

log = logging.getLogger(__name__)

PARITY_MAX_ROWS = 20_000


@dataclass
class StageTimer:
    """Announces each stage to the progress callback and records its duration."""

    progress: StageCallback
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.progress(name, "")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)


@dataclass(frozen=True)
class TrainResult:
    bundle_dir: Path
    manifest: Manifest
    timings: dict[str, float]


@dataclass(frozen=True)
class Matrices:
    """Clipped float32 matrices of the kept features for each use."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_tune: np.ndarray
    y_tune: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    tune_is_fit: bool


def _imbalance_note(config: TrainConfig) -> str:
    if config.smote:
        return "SMOTE (imbalanced-learn) oversampled the training rows; no class weights"
    return "Class weights balance defaults and non-defaults (no resampling)"


def train_frame(
    frame: TrainingFrame,
    *,
    config: TrainConfig,
    model_dir: Path,
    progress: StageCallback = no_progress,
) -> TrainResult:
    """Trains, evaluates, exports and writes a bundle; `current` moves only on success."""
    timer = StageTimer(progress)
    started = time.perf_counter()
    created_at = datetime.now(UTC).replace(microsecond=0)
    with timer.stage("split"):
        split = make_split(frame, config=config)
        fit_rows = sample_by_group(
            split.train, frame.groups, max_rows=config.fit_max_rows, seed=config.seed
        )
        tune_rows = sample_by_group(
            fit_rows, frame.groups, max_rows=config.tune_max_rows, seed=config.seed + 1
        )
        val_rows = sample_by_group(
            split.validation, frame.groups, max_rows=config.fit_max_rows, seed=config.seed + 2
        )
    names = frame.feature_names
    with timer.stage("clip"):
        all_bounds = clip_bounds(frame.x[fit_rows], names, percentiles=config.clip_percentiles)
        x_tune_all = apply_clip(frame.x[tune_rows], names, all_bounds)
        x_val_all = apply_clip(frame.x[val_rows], names, all_bounds)
    with timer.stage("prune"):
        pruning = prune_features(
            x_train=x_tune_all,
            y_train=frame.y[tune_rows],
            x_val=x_val_all,
            y_val=frame.y[val_rows],
            names=names,
            config=config,
        )
        kept_names = [names[i] for i in pruning.kept]
        bounds = {n: all_bounds[n] for n in kept_names if n in all_bounds}

        def prepared(rows: np.ndarray) -> np.ndarray:
            return apply_clip(frame.x[np.ix_(rows, np.asarray(pruning.kept))], kept_names, bounds)

        x_fit, y_fit = prepared(fit_rows), frame.y[fit_rows]
        x_tune, y_tune = x_tune_all[:, pruning.kept], frame.y[tune_rows]
        if config.smote:
            x_fit, y_fit = smote_resample(x_fit, y_fit, seed=config.seed)
            x_tune, y_tune = smote_resample(x_tune, y_tune, seed=config.seed)
        m = Matrices(
            x_fit, y_fit, x_tune, y_tune, x_val_all[:, pruning.kept], frame.y[val_rows],
            prepared(split.test), frame.y[split.test], len(tune_rows) == len(fit_rows),
        )  # fmt: skip
        del x_tune_all, x_val_all
    tuned: dict[str, Tuned] = {}
    with timer.stage("tune"):
        for name in MODEL_NAMES:
            tuned[name] = random_search(
                name, x_train=m.x_tune, y_train=m.y_tune, x_val=m.x_val, y_val=m.y_val,
                config=config, progress=progress,
            )  # fmt: skip
    with timer.stage("fit"):
        natives: dict[str, Any] = {}
        for name in MODEL_NAMES:
            if m.tune_is_fit:
                natives[name] = tuned[name].best.model
                continue
            progress("fit", name)
            natives[name] = fit_model(
                name, tuned[name].params, x_train=m.x_fit, y_train=m.y_fit, x_val=m.x_val,
                y_val=m.y_val, config=config,
            ).model  # fmt: skip
    with timer.stage("ensemble"):
        p_val = {n: predict_native(n, natives[n], m.x_val) for n in MODEL_NAMES}
        p_test = {n: predict_native(n, natives[n], m.x_test) for n in MODEL_NAMES}
        weights = learn_weights(p_val, m.y_val) if config.learn_weights else dict(config.weights)
        calibration = fit_calibration(blend(p_val, weights), m.y_val, method=config.calibration)
        p_val["ensemble"] = calibrate(blend(p_val, weights), calibration)
        p_test["ensemble"] = calibrate(blend(p_test, weights), calibration)
    with timer.stage("cross-validate"):
        dev = np.sort(np.concatenate([split.train, split.validation]))
        cv_rows = sample_by_group(
            dev, frame.groups, max_rows=config.cv_max_rows, seed=config.seed + 3
        )
        groups = frame.groups[cv_rows] if frame.groups is not None else None
        folds = cv_folds(
            np.arange(len(cv_rows)), frame.y[cv_rows], groups,
            folds=config.cv_folds, seed=config.seed,
        )  # fmt: skip
        x_cv = prepared(cv_rows)
        cv = cross_validate(
            tuned, folds, x=x_cv, y=frame.y[cv_rows], weights=weights, config=config,
            progress=progress,
        )  # fmt: skip
        del x_cv
    with timer.stage("threshold"):
        threshold = cost_threshold(
            p_val["ensemble"], m.y_val,
            cost_missed=config.cost_missed_default, cost_intervention=config.cost_intervention,
        )  # fmt: skip
        tiers = risk_tiers(p_val["ensemble"], threshold=threshold)
    with timer.stage("evaluate"):
        scores = Scores(p_val, p_test, m.y_val, m.y_test)
        metrics, calibrated = per_model_metrics(
            scores, threshold=threshold, calibration_method=config.calibration, config=config
        )
        for name, figures in cv.summary().items():
            metrics[name].update(figures)
        shap_top = shap_importance(
            natives, m.x_test, names=kept_names, weights=weights, seed=config.seed
        )
        truth = frame.truth[split.test] if frame.truth is not None else None
        oracle = oracle_figures(truth, m.y_test, p_test["ensemble"])
        imbalance: dict[str, Any] = {"method": _imbalance_note(config)}
        if config.smote:
            imbalance["smote_effect"] = _smote_effect(
                tuned=tuned,
                natives=natives,
                m=m,
                x_plain=prepared(fit_rows),
                y_plain=frame.y[fit_rows],
                config=config,
            )
    with timer.stage("export"):
        check_rows = parity_rows(m.x_test[:PARITY_MAX_ROWS], seed=config.seed)
        graphs = {}
        parity = {}
        for name in MODEL_NAMES:
            graphs[name] = export_onnx(name, natives[name], n_features=len(kept_names))
            parity[name] = check_parity(
                name, natives[name], graphs[name], check_rows, tolerance=config.parity_tolerance
            )
    fingerprint = frame.fingerprint()
    version = bundle_version(created_at, fingerprint)
    ensemble_figures = metrics["ensemble"]
    training_info: dict[str, Any] = {
        "config": {k: v for k, v in config.__dict__.items() if k not in ("weights",)},
        "split": split.describe(),
        "rows_used": {"fit": len(fit_rows), "tune": len(tune_rows), "cv": len(cv_rows)},
        "params": {n: tuned[n].params for n in MODEL_NAMES},
        "trees": {n: tree_count(n, natives[n]) for n in MODEL_NAMES},
        "parity_max_abs_diff": parity,
        "pruned_features": pruning.dropped,
        "operating_recall": OPERATING_RECALL,
        "operating_threshold": ensemble_figures["at_operating_point"]["threshold"],
        "oracle": oracle,
        "time_column": frame.time_column,
    }
    evaluation: dict[str, Any] = {
        "version": version,
        "created_at": created_at.isoformat(),
        "source": frame.source,
        "data_fingerprint": fingerprint,
        "split": split.describe(),
        "notes": _split_note(frame, config, len(fit_rows), len(tune_rows), len(cv_rows)),
        "features": {
            "input": len(names),
            "kept": kept_names,
            "dropped": pruning.dropped,
            "clip_percentiles": list(config.clip_percentiles),
        },
        "metrics": metrics,
        "cv": {"fold_auc": cv.fold_auc, "rows": cv.rows, "folds": config.cv_folds},
        "weights": weights,
        "calibration": config.calibration,
        "threshold": {
            "value": threshold,
            "cost_missed_default": config.cost_missed_default,
            "cost_intervention": config.cost_intervention,
            "operating_recall": OPERATING_RECALL,
        },
        "tiers": tier_table(p_test["ensemble"], m.y_test, tiers),
        "curves": all_curves(calibrated, m.y_test),
        "shap_top20": shap_top,
        "oracle": oracle,
        "imbalance": imbalance,
        "tuning": {n: [t.__dict__ for t in tuned[n].trials] for n in MODEL_NAMES},
        "parity_max_abs_diff": parity,
        "timings": timer.seconds,
    }
    with timer.stage("write"):
        evaluation["timings"] = {**timer.seconds, "total": round(time.perf_counter() - started, 3)}
        training_info["timings"] = evaluation["timings"]
        contents = BundleContents(
            natives=natives,
            graphs=graphs,
            manifest_fields={
                "version": version,
                "created_at": created_at,
                "data_fingerprint": fingerprint,
                "source": frame.source,
                "feature_names": kept_names,
                "feature_catalogue_version": frame.catalogue_version,
                "id_column": frame.id_column,
                "label_column": frame.label_column,
                "weights": weights,
                "calibration": calibration,
                "threshold": threshold,
                "tiers": tiers,
                "clip_bounds": bounds,
                "metrics": metrics,
                "training": training_info,
            },
            report_html=render_report(evaluation),
            metrics=evaluation,
        )
        bundle_dir = write_bundle(
            model_dir, contents, parity_rows=check_rows[:2000],
            parity_tolerance=config.parity_tolerance,
        )  # fmt: skip
    timer.seconds["total"] = round(time.perf_counter() - started, 3)
    return TrainResult(bundle_dir, read_manifest(bundle_dir, verify=False), timer.seconds)


def _split_note(frame: TrainingFrame, config: TrainConfig, fit: int, tune: int, cv: int) -> str:
    parts = []
    if frame.times is not None:
        parts.append(
            "The latest as-of dates are the test set. Only rows whose"
            f" {config.gap_days}-day label window closed before the first test date are fitted"
            " on (as at deployment): validation is the latest of those dates, train the rest."
        )
    else:
        parts.append("No time column: stratified split, customers kept on one side.")
    parts.append(
        f"Models fitted on {fit:,} training rows (tuning on {tune:,}); {config.cv_folds}-fold"
        f" cross-validation grouped by customer on {cv:,} training and validation rows, with the"
        " tuned settings and tree counts."
    )
    return " ".join(parts)


def _smote_effect(
    *,
    tuned: dict[str, Tuned],
    natives: dict[str, Any],
    m: Matrices,
    x_plain: np.ndarray,
    y_plain: np.ndarray,
    config: TrainConfig,
) -> dict[str, Any]:
    """Test AUC, PR-AUC and Brier (calibrated alone) with SMOTE vs with class weights."""
    from dataclasses import replace

    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    weighted_config = replace(config, smote=False)
    effect: dict[str, Any] = {}
    for name in MODEL_NAMES:
        weighted = fit_model(
            name, tuned[name].params, x_train=x_plain, y_train=y_plain, x_val=None, y_val=None,
            config=weighted_config, trees=max(tuned[name].trees, 1),
        ).model  # fmt: skip
        effect[name] = {}
        for label, model in (("smote", natives[name]), ("class_weights", weighted)):
            raw_val = predict_native(name, model, m.x_val)
            own = fit_calibration(raw_val, m.y_val, method=config.calibration)
            p = calibrate(predict_native(name, model, m.x_test), own)
            effect[name][label] = {
                "auc": float(roc_auc_score(m.y_test, p)),
                "pr_auc": float(average_precision_score(m.y_test, p)),
                "brier": float(brier_score_loss(m.y_test, p)),
            }
    return effect

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

from pde.contracts.bundle import Manifest, read_manifest
from pde.core.names import MODEL_NAMES
from pde.training.models.bundle_writer import BundleContents, bundle_version, write_bundle
from pde.training.models.config import StageCallback, TrainConfig, no_progress
from pde.training.models.decision import cost_threshold, risk_tiers
from pde.training.models.ensemble import blend, calibrate, fit_calibration, learn_weights
from pde.training.models.evaluation import (
    Scores,
    all_curves,
    oracle_figures,
    per_model_metrics,
    shap_importance,
    smote_effect,
    tier_table,
)
from pde.training.models.frame import TrainingFrame
from pde.training.models.learners import fit_model
from pde.training.models.native import predict_native, tree_count
from pde.training.models.onnx_export import check_parity, export_onnx, parity_rows
from pde.training.models.preprocess import apply_clip, clip_bounds, prune_features, smote_resample
from pde.training.models.report import render_report
from pde.training.models.splits import cv_folds, make_split, sample_by_group
from pde.training.models.summary import RunRecord, evaluation_data, imbalance_note, manifest_fields
from pde.training.models.tuning import Tuned, cross_validate, random_search

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
    x_stop: np.ndarray
    y_stop: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    tune_is_fit: bool


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
        # Weekly snapshots of a customer are much alike: random rows from every customer
        # carry most of the information of the whole panel.
        fit_rows = sample_by_group(
            split.train, None, max_rows=config.fit_max_rows, seed=config.seed
        )
        tune_rows = sample_by_group(
            fit_rows, None, max_rows=config.tune_max_rows, seed=config.seed + 1
        )
        stop_rows = sample_by_group(
            split.validation, None, max_rows=config.stop_max_rows, seed=config.seed + 2
        )
    names = frame.feature_names
    with timer.stage("clip"):
        all_bounds = clip_bounds(frame.x[fit_rows], names, percentiles=config.clip_percentiles)
        x_tune_all = apply_clip(frame.x[tune_rows], names, all_bounds)
        x_stop_all = apply_clip(frame.x[stop_rows], names, all_bounds)
    with timer.stage("prune"):
        pruning = prune_features(
            x_train=x_tune_all,
            y_train=frame.y[tune_rows],
            x_val=x_stop_all,
            y_val=frame.y[stop_rows],
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
            x_fit, y_fit, x_tune, y_tune, x_stop_all[:, pruning.kept], frame.y[stop_rows],
            prepared(split.validation), frame.y[split.validation],
            prepared(split.test), frame.y[split.test], len(tune_rows) == len(fit_rows),
        )  # fmt: skip
        del x_tune_all, x_stop_all
    tuned: dict[str, Tuned] = {}
    with timer.stage("tune"):
        for name in MODEL_NAMES:
            tuned[name] = random_search(
                name, x_train=m.x_tune, y_train=m.y_tune, x_val=m.x_stop, y_val=m.y_stop,
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
                name, tuned[name].params, x_train=m.x_fit, y_train=m.y_fit, x_val=m.x_stop,
                y_val=m.y_stop, config=config,
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
        # Random rows from every customer; the folds then keep each customer on one side.
        cv_rows = sample_by_group(dev, None, max_rows=config.cv_max_rows, seed=config.seed + 3)
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
        results: dict[str, Any] = {
            "tiers": tier_table(p_test["ensemble"], m.y_test, tiers),
            "curves": all_curves(calibrated, m.y_test),
            "shap_top20": shap_importance(
                natives, m.x_test, names=kept_names, weights=weights, seed=config.seed
            ),
            "oracle": oracle_figures(
                frame.truth[split.test] if frame.truth is not None else None,
                m.y_test,
                p_test["ensemble"],
            ),
            "imbalance": {"method": imbalance_note(config)},
        }
        if config.smote:
            results["imbalance"]["smote_effect"] = smote_effect(
                tuned, natives, plain=(prepared(fit_rows), frame.y[fit_rows]),
                validation=(m.x_val, m.y_val), test=(m.x_test, m.y_test), config=config,
            )  # fmt: skip
    with timer.stage("export"):
        check_rows = parity_rows(m.x_test[:PARITY_MAX_ROWS], seed=config.seed)
        graphs = {n: export_onnx(n, natives[n], n_features=len(kept_names)) for n in MODEL_NAMES}
        results["parity_max_abs_diff"] = {
            n: check_parity(n, natives[n], graphs[n], check_rows, tolerance=config.parity_tolerance)
            for n in MODEL_NAMES
        }
    with timer.stage("write"):
        fingerprint = frame.fingerprint()
        record = RunRecord(
            frame=frame, config=config, created_at=created_at,
            version=bundle_version(created_at, fingerprint), fingerprint=fingerprint,
            split=split,
            rows_used={"fit": len(fit_rows), "tune": len(tune_rows), "stop": len(stop_rows),
                       "cv": len(cv_rows)},
            pruning=pruning, kept_names=kept_names, clip_bounds=bounds, tuned=tuned,
            trees={n: tree_count(n, natives[n]) for n in MODEL_NAMES}, weights=weights,
            calibration=calibration, threshold=threshold, tiers=tiers, metrics=metrics, cv=cv,
            results=results,
            timings={**timer.seconds, "total": round(time.perf_counter() - started, 3)},
        )  # fmt: skip
        evaluation = evaluation_data(record)
        contents = BundleContents(
            natives=natives,
            graphs=graphs,
            manifest_fields=manifest_fields(record),
            report_html=render_report(evaluation),
            metrics=evaluation,
        )
        bundle_dir = write_bundle(
            model_dir, contents, parity_rows=check_rows[:2000],
            parity_tolerance=config.parity_tolerance,
        )  # fmt: skip
    timer.seconds["total"] = round(time.perf_counter() - started, 3)
    return TrainResult(bundle_dir, read_manifest(bundle_dir, verify=False), timer.seconds)

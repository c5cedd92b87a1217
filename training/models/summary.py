"""What a finished run records: `metrics.json` / report data and the manifest's fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from pde.contracts.bundle import Calibration, TierBand
from pde.contracts.reference import Bins, ReferenceDistributions
from pde.core.names import MODEL_NAMES
from pde.training.models.config import OPERATING_RECALL, TrainConfig
from pde.training.models.frame import TrainingFrame
from pde.training.models.preprocess import Pruning
from pde.training.models.splits import Split
from pde.training.models.tuning import CrossValidation, Tuned


@dataclass(frozen=True)
class RunRecord:
    """Everything a run decided and measured, for the manifest, metrics.json and the report."""

    frame: TrainingFrame
    config: TrainConfig
    created_at: datetime
    version: str
    fingerprint: str
    split: Split
    rows_used: dict[str, int]
    pruning: Pruning
    kept_names: list[str]
    clip_bounds: dict[str, tuple[float, float]]
    tuned: dict[str, Tuned]
    trees: dict[str, int]
    weights: dict[str, float]
    calibration: Calibration
    threshold: float
    tiers: list[TierBand]
    metrics: dict[str, dict[str, Any]]
    cv: CrossValidation
    results: dict[str, Any]  # curves, tiers table, SHAP, oracle, imbalance, parity
    timings: dict[str, float]


def split_note(record: RunRecord) -> str:
    config, rows, frame = record.config, record.rows_used, record.frame
    customers = frame.groups is not None
    parts = []
    if frame.times is not None:
        parts.append(
            "The latest as-of dates are the test set. Only rows whose"
            f" {config.gap_days}-day label window closed before the first test date are fitted"
            " on (as at deployment): validation is the latest of those dates, train the rest."
        )
    elif customers:
        parts.append("No time column: stratified split, each customer's rows on one side.")
    else:
        parts.append("No time column and no customer id: stratified split of the rows.")
    grouped = " grouped by customer" if customers else ""
    parts.append(
        f"Models fitted on {rows['fit']:,} training rows (tuning on {rows['tune']:,}, early"
        f" stopping on {rows['stop']:,} validation rows); {config.cv_folds}-fold cross-validation"
        f"{grouped} on {rows['cv']:,} training and validation rows (each scored once, held"
        f" out; each fold fits on at most {config.fit_max_rows:,} of the others, as the models"
        " do), with the tuned settings and tree counts. Row caps:"
        f" fit {config.fit_max_rows:,}, tune {config.tune_max_rows:,},"
        f" early stopping {config.stop_max_rows:,}, cross-validation {config.cv_max_rows:,}."
    )
    return " ".join(parts)


def imbalance_note(config: TrainConfig) -> str:
    if config.smote:
        return "SMOTE (imbalanced-learn) oversampled the training rows; no class weights"
    return "Class weights balance defaults and non-defaults (no resampling)"


def evaluation_data(record: RunRecord) -> dict[str, Any]:
    """The content of metrics.json, which the report renders."""
    config = record.config
    return {
        "version": record.version,
        "created_at": record.created_at.isoformat(),
        "source": record.frame.source,
        "data_fingerprint": record.fingerprint,
        "split": record.split.describe(),
        "rows_used": record.rows_used,
        "notes": split_note(record),
        "features": {
            "input": len(record.frame.feature_names),
            "kept": record.kept_names,
            "dropped": record.pruning.dropped,
            "id_like_left_out": list(record.frame.id_like),
            "clip_percentiles": list(config.clip_percentiles),
        },
        "metrics": record.metrics,
        "cv": {"fold_auc": record.cv.fold_auc, "rows": record.cv.rows, "folds": config.cv_folds},
        "weights": record.weights,
        "calibration": {
            "method": record.calibration.method,
            "asked": config.calibration,
            "ece": record.metrics["ensemble"]["ece"],
            "candidates_log_loss": record.results.get("calibration_candidates", {}),
        },
        "threshold": {
            "value": record.threshold,
            "kind": "break_even",
            "operating_recall": OPERATING_RECALL,
        },
        **record.results,
        "tuning": {n: [t.__dict__ for t in record.tuned[n].trials] for n in MODEL_NAMES},
        "timings": record.timings,
    }


def _catalogue_entries(names: list[str], version: str | None) -> list[dict[str, object]]:
    """The catalogue entries of the kept features, shipped in the bundle (features computed
    by this engine's catalogue only; other tables have no catalogue)."""
    from dataclasses import asdict

    from pde.training.features.catalogue import CATALOGUE_VERSION, feature_spec

    if version != CATALOGUE_VERSION:
        return []
    return [asdict(feature_spec(name)) for name in names]


def manifest_fields(record: RunRecord) -> dict[str, Any]:
    """Every Manifest field but `models` (the bundle writer adds the files)."""
    frame, config = record.frame, record.config
    training = {
        "config": {k: v for k, v in config.__dict__.items() if k not in ("weights", "policy")},
        "split": record.split.describe(),
        "rows_used": record.rows_used,
        "params": {n: record.tuned[n].params for n in MODEL_NAMES},
        "trees": record.trees,
        "parity_max_abs_diff": record.results["parity_max_abs_diff"],
        "pruned_features": record.pruning.dropped,
        "operating_recall": OPERATING_RECALL,
        "operating_threshold": record.metrics["ensemble"]["at_operating_point"]["threshold"],
        "oracle": record.results["oracle"],
        "alerts": {k: v for k, v in record.results["alerts"].items() if k != "policy"},
        "time_column": frame.time_column,
        "timings": record.timings,
    }
    return {
        "version": record.version,
        "created_at": record.created_at,
        "data_fingerprint": record.fingerprint,
        "source": frame.source,
        "feature_names": record.kept_names,
        "feature_catalogue_version": frame.catalogue_version,
        "feature_catalogue": _catalogue_entries(record.kept_names, frame.catalogue_version),
        "id_column": frame.id_column,
        "label_column": frame.label_column,
        "weights": record.weights,
        "calibration": record.calibration,
        "threshold": record.threshold,
        "policy": config.policy,
        "tiers": record.tiers,
        "clip_bounds": record.clip_bounds,
        "metrics": record.metrics,
        "training": training,
    }


# Held-out scores kept for the two-sample KS test of each scoring date's scores.
SCORE_SAMPLE_ROWS = 5000


def reference_distributions(
    *, features: np.ndarray, names: list[str], scores: np.ndarray, seed: int
) -> ReferenceDistributions:
    """Quantile bins of each feature over the training rows (`features`, raw, NaN missing),
    and of the calibrated score over the held-out rows, with a sample of those scores."""
    sample = scores
    if scores.shape[0] > SCORE_SAMPLE_ROWS:
        rng = np.random.default_rng(seed)
        sample = rng.choice(scores, size=SCORE_SAMPLE_ROWS, replace=False)
    return ReferenceDistributions(
        feature_rows=int(features.shape[0]),
        score_rows=int(scores.shape[0]),
        features={name: Bins.of(features[:, i]) for i, name in enumerate(names)},
        score=Bins.of(scores),
        score_sample=np.sort(np.round(sample, 7)).tolist(),
    )

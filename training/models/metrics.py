"""Held-out figures a model validation team expects, and the curves the report draws."""

from __future__ import annotations

from typing import Any

import numpy as np

CURVE_POINTS = 200
ECE_BINS = 10


def _rates_at(p: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    flagged = p >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    fn = int(np.sum(~flagged & (y == 1)))
    tn = int(np.sum(~flagged & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "flag_rate": float(np.mean(flagged)),
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    }


def top_decile_capture(p: np.ndarray, y: np.ndarray) -> float:
    """Share of all positives among the 10% highest-scored rows."""
    top = max(1, int(np.ceil(0.1 * len(p))))
    order = np.argsort(-p, kind="stable")[:top]
    return float(y[order].sum() / max(y.sum(), 1))


def expected_calibration_error(p: np.ndarray, y: np.ndarray, *, bins: int = ECE_BINS) -> float:
    """ECE: the row-weighted mean |mean predicted - observed rate| over `bins` bins of equal
    row counts (rows ordered by p)."""
    order = np.argsort(p, kind="stable")
    error = 0.0
    for part in np.array_split(order, min(bins, len(p))):
        error += len(part) * abs(float(p[part].mean()) - float(y[part].mean()))
    return error / max(len(p), 1)


def binary_metrics(
    p: np.ndarray,
    y: np.ndarray,
    *,
    threshold: float,
    operating_threshold: float | None = None,
) -> dict[str, Any]:
    """AUC, Gini, KS, PR-AUC, Brier, log-loss, ECE, top-decile capture and the rates at
    thresholds."""
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        log_loss,
        roc_auc_score,
        roc_curve,
    )

    auc = float(roc_auc_score(y, p))
    fpr, tpr, _ = roc_curve(y, p)
    clipped = np.clip(p, 1e-7, 1 - 1e-7)
    result: dict[str, Any] = {
        "rows": len(y),
        "positive_rate": float(np.mean(y)),
        "auc": auc,
        "gini": 2 * auc - 1,
        "ks": float(np.max(tpr - fpr)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, clipped)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "ece": expected_calibration_error(p, y),
        "top_decile_capture": top_decile_capture(p, y),
        "at_threshold": _rates_at(p, y, threshold),
    }
    if operating_threshold is not None:
        result["at_operating_point"] = _rates_at(p, y, operating_threshold)
    return result


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    """At most CURVE_POINTS evenly spaced points of each array (same positions)."""
    size = len(arrays[0])
    keep = np.unique(np.linspace(0, size - 1, min(size, CURVE_POINTS)).astype(int))
    return [[round(float(v), 5) for v in array[keep]] for array in arrays]


def curves(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """ROC, precision-recall, calibration (deciles) and cumulative capture, thinned for plots."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    precision, recall, _ = precision_recall_curve(y, p)
    order = np.argsort(-p, kind="stable")
    share = np.arange(1, len(p) + 1) / len(p)
    captured = np.cumsum(y[order]) / max(y.sum(), 1)
    bins = np.quantile(p, np.linspace(0, 1, 11))
    index = np.clip(np.searchsorted(bins[1:-1], p, side="right"), 0, 9)
    predicted, observed = [], []
    for b in range(10):
        members = index == b
        if members.any():
            predicted.append(round(float(p[members].mean()), 5))
            observed.append(round(float(y[members].mean()), 5))
    return {
        "roc": dict(zip(("fpr", "tpr"), _thin(fpr, tpr), strict=True)),
        "pr": dict(zip(("recall", "precision"), _thin(recall[::-1], precision[::-1]), strict=True)),
        "capture": dict(zip(("share", "captured"), _thin(share, captured), strict=True)),
        "calibration": {"predicted": predicted, "observed": observed},
    }

"""The weighted ensemble of the three models and its calibration to probabilities.

`blend` and `calibrate` are exactly what the server does with the manifest's `weights` and
`calibration`, so the metrics of a bundle are those of the served numbers.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np

from pde.contracts.bundle import Calibration

EPSILON = 1e-6
WEIGHT_STEP = 0.05


def blend(probabilities: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted average of each model's positive-class probability."""
    return np.asarray(np.sum([weights[name] * probabilities[name] for name in weights], axis=0))


def learn_weights(
    probabilities: dict[str, np.ndarray], y: np.ndarray, *, step: float = WEIGHT_STEP
) -> dict[str, float]:
    """Weights on a simplex grid (every model at least one step) maximising validation AUC."""
    from sklearn.metrics import roc_auc_score

    names = sorted(probabilities)
    units = round(1 / step)
    best_auc, best = -1.0, {name: 1 / len(names) for name in names}
    for head in itertools.product(range(1, units), repeat=len(names) - 1):
        last = units - sum(head)
        if last < 1:
            continue
        candidate = {name: share / units for name, share in zip(names, (*head, last), strict=True)}
        auc = float(roc_auc_score(y, blend(probabilities, candidate)))
        if auc > best_auc + 1e-9:
            best_auc, best = auc, candidate
    return best


def fit_calibration(
    raw: np.ndarray, y: np.ndarray, *, method: Literal["isotonic", "platt"]
) -> Calibration:
    """Isotonic regression or Platt scaling of raw probabilities, fitted on validation."""
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        x_knots = [float(v) for v in iso.X_thresholds_]
        y_knots = [float(v) for v in iso.y_thresholds_]
        if len(x_knots) < 2:  # a constant fit: make it a flat line over [0, 1]
            level = y_knots[0] if y_knots else float(np.mean(y))
            x_knots, y_knots = [0.0, 1.0], [level, level]
        return Calibration(method="isotonic", x=x_knots, y=y_knots)
    from sklearn.linear_model import LogisticRegression

    logit = _logit(raw).reshape(-1, 1)
    platt = LogisticRegression(C=1e6).fit(logit, y)
    return Calibration(method="platt", a=float(platt.coef_[0, 0]), b=float(platt.intercept_[0]))


def _logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    return np.asarray(np.log(clipped / (1 - clipped)))


def calibrate(raw: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Applies a manifest's calibration to raw ensemble probabilities."""
    if calibration.method == "isotonic":
        return np.asarray(np.interp(raw, calibration.x, calibration.y))
    if calibration.method == "platt":
        return np.asarray(1 / (1 + np.exp(-(calibration.a * _logit(raw) + calibration.b))))
    return np.asarray(raw, dtype=np.float64)

"""Calibration of the raw ensemble score to probabilities an officer can believe.

Three smooth candidates are fitted on validation: Platt scaling, beta calibration and an
isotonic fit interpolated on the logit scale (`isotonic_interp`). Each is strictly increasing
in the score and stays strictly between 0 and 1, so no customer is "certain" and the riskiest
ones do not share one value. The candidate with the least log-loss out of fold (k-fold within
validation) is refitted on all validation rows. `calibrate` is exactly what the server does
with the manifest's `calibration` (pde.server.ensemble; a test checks the two agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pde.contracts.bundle import P_FLOOR, RAW_EPSILON, Calibration

Method = Literal["platt", "beta", "isotonic_interp"]
CANDIDATES: tuple[Method, ...] = ("platt", "beta", "isotonic_interp")
SELECTION_FOLDS = 5
# Logit of the end knots of isotonic_interp stays within +-LOGIT_LIMIT; the slope used to
# extend the fit beyond its first and last blocks within [END_SLOPE_MIN, END_SLOPE_MAX].
LOGIT_LIMIT = 15.0
END_SLOPE_MIN, END_SLOPE_MAX = 0.25, 4.0


def _logit(p: np.ndarray) -> np.ndarray:
    return np.asarray(np.log(p / (1 - p)))


def _clip_raw(raw: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(raw, dtype=np.float64), RAW_EPSILON, 1 - RAW_EPSILON)


def _squeeze(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) squeezed into [P_FLOOR, 1 - P_FLOOR]: never exactly 0 or 1."""
    return np.asarray(P_FLOOR + (1 - 2 * P_FLOOR) / (1 + np.exp(-z)))


def calibrate(raw: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Applies a manifest's calibration to raw ensemble probabilities."""
    method = calibration.method
    if method == "isotonic":  # bundles before isotonic_interp: flat beyond the ends
        return np.asarray(np.interp(raw, calibration.x, calibration.y))
    if method == "none":
        return np.asarray(raw, dtype=np.float64)
    s = _clip_raw(raw)
    if method == "platt":
        z = calibration.a * _logit(s) + calibration.b
    elif method == "beta":
        z = calibration.a * np.log(s) - calibration.b * np.log1p(-s) + calibration.c
    else:
        knots_x = _logit(np.asarray(calibration.x, dtype=np.float64))
        knots_y = _logit(np.asarray(calibration.y, dtype=np.float64))
        z = np.interp(_logit(s), knots_x, knots_y)
    return _squeeze(np.asarray(z))


def _logistic(features: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, max_iter=1000).fit(features, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def fit_platt(raw: np.ndarray, y: np.ndarray) -> Calibration | None:
    """sigmoid(a logit(s) + b); None when the fit is not increasing (a <= 0)."""
    coef, intercept = _logistic(_logit(_clip_raw(raw)).reshape(-1, 1), y)
    if coef[0] <= 0:
        return None
    return Calibration(method="platt", a=float(coef[0]), b=intercept)


def fit_beta(raw: np.ndarray, y: np.ndarray) -> Calibration | None:
    """sigmoid(a ln s - b ln(1 - s) + c) with a, b >= 0 (Kull et al., 2017): a term whose
    coefficient comes out negative is dropped and the other refitted."""
    s = _clip_raw(raw)
    columns = np.column_stack([np.log(s), -np.log1p(-s)])
    coef, intercept = _logistic(columns, y)
    if coef.min() < 0:
        keep = int(np.argmax(coef))
        single, intercept = _logistic(columns[:, [keep]], y)
        coef = np.zeros(2)
        coef[keep] = single[0]
    if coef.min() < 0 or coef.sum() <= 0:
        return None
    return Calibration(method="beta", a=float(coef[0]), b=float(coef[1]), c=intercept)


def _blocks(raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic blocks as (mean score, smoothed default rate), both strictly increasing.

    Each block's rate is (defaults + 1/2) / (rows + 1), never 0 or 1; blocks whose smoothed
    rates do not increase are pooled (pool-adjacent-violators on the smoothed rates).
    """
    from sklearn.isotonic import IsotonicRegression

    order = np.argsort(raw, kind="stable")
    s, outcome = raw[order], y[order].astype(np.float64)
    fitted = IsotonicRegression(out_of_bounds="clip").fit_transform(s, outcome)
    # a new block where the fitted value changes, and never inside a run of equal scores
    starts = np.flatnonzero(np.r_[True, (fitted[1:] != fitted[:-1]) & (s[1:] != s[:-1])])
    rows = np.diff(np.r_[starts, len(s)]).astype(np.float64)
    defaults = np.add.reduceat(outcome, starts)
    sums = np.add.reduceat(s, starts)
    pooled: list[list[float]] = []  # [rows, defaults, score sum]
    for block in zip(rows, defaults, sums, strict=True):
        pooled.append(list(block))
        while len(pooled) > 1:
            last, before = pooled[-1], pooled[-2]
            if (before[1] + 0.5) / (before[0] + 1) < (last[1] + 0.5) / (last[0] + 1):
                break
            pooled[-2] = [a + b for a, b in zip(before, last, strict=True)]
            pooled.pop()
    table = np.array(pooled)
    return table[:, 2] / table[:, 0], (table[:, 1] + 0.5) / (table[:, 0] + 1)


def _end_slope(x: np.ndarray, y: np.ndarray, first: bool) -> float:
    if len(x) < 2:
        return 1.0
    i, j = (0, 1) if first else (-2, -1)
    return float(np.clip((y[j] - y[i]) / (x[j] - x[i]), END_SLOPE_MIN, END_SLOPE_MAX))


def fit_isotonic_interp(raw: np.ndarray, y: np.ndarray) -> Calibration:
    """Isotonic regression, its blocks as knots at their mean score, joined by straight lines
    on the logit scale and extended to the ends of the score range with the end slopes."""
    centres, rates = _blocks(_clip_raw(raw), y)
    x, z = _logit(_clip_raw(centres)), _logit(rates)
    keep = np.r_[True, np.diff(x) > 0]  # two blocks clipped onto one score: keep the first
    x, z = x[keep], z[keep]
    low, high = _logit(np.array([RAW_EPSILON, 1 - RAW_EPSILON]))
    if x[0] > low:
        end = z[0] - _end_slope(x, z, True) * (x[0] - low)
        x, z = np.r_[low, x], np.r_[min(max(end, -LOGIT_LIMIT), z[0] - 1e-6), z]
    if x[-1] < high:
        end = z[-1] + _end_slope(x, z, False) * (high - x[-1])
        x, z = np.r_[x, high], np.r_[z, max(min(end, LOGIT_LIMIT), z[-1] + 1e-6)]
    knots_x = [float(v) for v in 1 / (1 + np.exp(-x))]
    knots_y = [float(v) for v in 1 / (1 + np.exp(-z))]
    return Calibration(method="isotonic_interp", x=knots_x, y=knots_y)


def fit_method(raw: np.ndarray, y: np.ndarray, method: Method) -> Calibration | None:
    """One candidate fitted on (raw, y); None when it cannot be increasing on this data."""
    if method == "platt":
        return fit_platt(raw, y)
    if method == "beta":
        return fit_beta(raw, y)
    return fit_isotonic_interp(raw, y)


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


@dataclass(frozen=True)
class CalibrationChoice:
    """The chosen calibration and every candidate's out-of-fold log-loss on validation."""

    calibration: Calibration
    candidates: dict[str, float]


def choose_calibration(
    raw: np.ndarray,
    y: np.ndarray,
    *,
    method: Literal["auto", "platt", "beta", "isotonic_interp"] = "auto",
    folds: int = SELECTION_FOLDS,
    seed: int = 0,
) -> CalibrationChoice:
    """The candidate with the least out-of-fold log-loss on (raw, y) (or `method`, if named),
    refitted on all of it. Platt is the fallback when a fold lacks a class."""
    from sklearn.model_selection import StratifiedKFold

    raw = np.asarray(raw, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    names = CANDIDATES if method == "auto" else (method,)
    losses: dict[str, float] = {}
    splits = max(2, min(folds, int(y.sum()), int(len(y) - y.sum())))
    splitter = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    for name in names:
        out_of_fold = np.empty(len(y))
        valid = True
        for fit_rows, held in splitter.split(raw, y):
            fitted = fit_method(raw[fit_rows], y[fit_rows], name)
            if fitted is None:
                valid = False
                break
            out_of_fold[held] = calibrate(raw[held], fitted)
        losses[name] = log_loss(out_of_fold, y) if valid else math.inf
    ranked = sorted(names, key=lambda n: losses[n])
    for name in ranked:
        fitted = fit_method(raw, y, name)
        if fitted is not None:
            return CalibrationChoice(fitted, {k: v for k, v in losses.items() if math.isfinite(v)})
    fallback = Calibration(method="platt", a=1.0, b=0.0)  # the identity: nothing increasing fit
    return CalibrationChoice(fallback, {})

"""Outlier clipping at training percentiles, pruning of near-zero-importance features, SMOTE."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from pde.training.models.config import TrainConfig

log = logging.getLogger(__name__)

MIN_KEPT_FEATURES = 5
SCREENING_ROWS = 30_000


def clip_bounds(
    x: np.ndarray, names: list[str], *, percentiles: tuple[float, float]
) -> dict[str, tuple[float, float]]:
    """Per feature (lower, upper) at the training percentiles, as float32-exact values.

    Float32-exact bounds make clipping then casting to float32 (training) and casting then
    clipping (the server) give the same numbers. Features with no values get no bound.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        low = np.nanpercentile(x, percentiles[0], axis=0)
        high = np.nanpercentile(x, percentiles[1], axis=0)
    bounds: dict[str, tuple[float, float]] = {}
    for name, lo, hi in zip(names, low, high, strict=True):
        if np.isfinite(lo) and np.isfinite(hi):
            bounds[name] = (float(np.float32(lo)), float(np.float32(hi)))
    return bounds


def apply_clip(
    x: np.ndarray, names: list[str], bounds: dict[str, tuple[float, float]]
) -> np.ndarray:
    """A float32 copy of x clipped to the bounds; NaN passes through."""
    out = np.array(x, dtype=np.float32)
    for column, name in enumerate(names):
        if name in bounds:
            lo, hi = bounds[name]
            np.clip(out[:, column], np.float32(lo), np.float32(hi), out=out[:, column])
    return out


@dataclass(frozen=True)
class Pruning:
    """Which features a screening model found useful, as indices into the input columns."""

    kept: list[int]
    dropped: list[str]
    gain_share: dict[str, float]


def prune_features(
    *,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    names: list[str],
    config: TrainConfig,
) -> Pruning:
    """Drops features below `prune_min_share` of a screening LightGBM's total split gain."""
    import lightgbm as lgb

    rows = np.random.default_rng(config.seed).permutation(len(y_train))[:SCREENING_ROWS]
    x_train, y_train = x_train[np.sort(rows)], y_train[np.sort(rows)]
    model = lgb.LGBMClassifier(
        n_estimators=min(config.max_trees, 200),
        learning_rate=0.1,
        num_leaves=31,
        n_jobs=config.threads,
        random_state=config.seed,
        verbose=-1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*eval_set.*deprecated")
        model.fit(
            x_train,
            y_train,
            eval_set=[(x_val, y_val)],
            callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
        )
    gain = model.booster_.feature_importance(importance_type="gain").astype(np.float64)
    total = gain.sum()
    share = gain / total if total > 0 else np.full(len(names), 1 / len(names))
    order = np.argsort(-share, kind="stable")
    keep = {int(i) for i in np.flatnonzero(share >= config.prune_min_share)}
    keep |= {int(i) for i in order[: min(MIN_KEPT_FEATURES, len(names))]}
    kept = sorted(keep)
    dropped = [names[i] for i in range(len(names)) if i not in keep]
    log.info("pruning kept %d of %d features", len(kept), len(names))
    return Pruning(kept, dropped, {names[i]: float(share[i]) for i in range(len(names))})


def smote_resample(x: np.ndarray, y: np.ndarray, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows plus SMOTE's synthetic minority rows, balancing the classes.

    SMOTE cannot interpolate missing values: it works on a median-imputed copy, and only the
    synthetic rows come from it; the original rows keep their NaN.
    """
    from imblearn.over_sampling import SMOTE

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nan_to_num(np.nanmedian(x, axis=0))
    filled = np.where(np.isnan(x), medians, x)
    sampler = SMOTE(random_state=seed)
    x_res, y_res = sampler.fit_resample(filled, y)
    synthetic_x = np.asarray(x_res)[len(x) :].astype(x.dtype)
    synthetic_y = np.asarray(y_res)[len(y) :].astype(y.dtype)
    return np.vstack([x, synthetic_x]), np.concatenate([y, synthetic_y])

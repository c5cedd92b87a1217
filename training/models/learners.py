"""Fitting one CatBoost, XGBoost or LightGBM model, and the spaces random search samples from.

Each fit stops early on the validation AUC and returns the native model cut to its best
iteration (see pde.training.models.native), so native predictions, the saved file and the ONNX
graph all use the same trees.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.training.models.config import TrainConfig

ParamSpace = dict[str, tuple[Any, ...]]

SPACES: dict[str, ParamSpace] = {
    "catboost": {
        "depth": (4, 5, 6, 7),
        "learning_rate": (0.06, 0.08, 0.1, 0.15, 0.2),
        "l2_leaf_reg": (1.0, 3.0, 5.0, 10.0),
        "random_strength": (0.5, 1.0, 2.0),
        "subsample": (0.7, 0.85, 1.0),
        "rsm": (0.3, 0.5, 0.8),
    },
    "xgboost": {
        "max_depth": (3, 4, 5, 6, 7),
        "learning_rate": (0.06, 0.08, 0.1, 0.15, 0.2),
        "subsample": (0.7, 0.85, 1.0),
        "colsample_bytree": (0.6, 0.8, 1.0),
        "min_child_weight": (1.0, 3.0, 10.0),
        "reg_lambda": (0.5, 1.0, 3.0, 10.0),
    },
    "lightgbm": {
        "num_leaves": (15, 31, 63),
        "learning_rate": (0.06, 0.08, 0.1, 0.15, 0.2),
        "min_child_samples": (10, 20, 50, 100),
        "subsample": (0.7, 0.85, 1.0),
        "colsample_bytree": (0.6, 0.8, 1.0),
        "reg_lambda": (0.0, 1.0, 5.0),
    },
}

# The first trial of each library uses these well-tried settings; later trials are random.
DEFAULTS: dict[str, dict[str, Any]] = {
    "catboost": {
        "depth": 6,
        "learning_rate": 0.1,
        "l2_leaf_reg": 3.0,
        "random_strength": 1.0,
        "subsample": 0.85,
        "rsm": 0.5,
    },
    "xgboost": {
        "max_depth": 5,
        "learning_rate": 0.1,
        "subsample": 0.85,
        "colsample_bytree": 0.8,
        "min_child_weight": 3.0,
        "reg_lambda": 1.0,
    },
    "lightgbm": {
        "num_leaves": 31,
        "learning_rate": 0.1,
        "min_child_samples": 20,
        "subsample": 0.85,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
    },
}


@dataclass(frozen=True)
class _Fit:
    """Training rows, the validation rows for early stopping (None: exactly `rounds` trees)."""

    x: np.ndarray
    y: np.ndarray
    val: tuple[np.ndarray, np.ndarray] | None
    rounds: int
    stop: int


@dataclass(frozen=True)
class Fitted:
    """A fitted native model, its tree count and its validation AUC (NaN without validation)."""

    name: str
    model: Any
    params: dict[str, Any]
    trees: int
    validation_auc: float


def sample_params(name: str, rng: np.random.Generator, trial: int) -> dict[str, Any]:
    if trial == 0:
        return dict(DEFAULTS[name])
    return {key: values[rng.integers(len(values))] for key, values in SPACES[name].items()}


def _positive_weight(y: np.ndarray, balanced: bool) -> float:
    if not balanced:
        return 1.0
    positives = float(np.sum(y))
    return (len(y) - positives) / max(positives, 1.0)


def fit_model(
    name: str,
    params: dict[str, Any],
    *,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: TrainConfig,
    trees: int | None = None,
) -> Fitted:
    """Fits with early stopping on (x_val, y_val), or exactly `trees` trees without validation.

    Class weights balance the classes unless SMOTE already did (config.smote).
    """
    from sklearn.metrics import roc_auc_score

    balanced = not config.smote
    rounds = trees or config.max_trees
    val = (x_val, y_val) if trees is None and x_val is not None and y_val is not None else None
    fit = _Fit(x_train, y_train, val, rounds, config.early_stopping_rounds)
    weight = _positive_weight(y_train, balanced)
    if name == "catboost":
        model = _fit_catboost(params, fit, config)
    elif name == "xgboost":
        model = _fit_xgboost(params, fit, config, weight)
    elif name == "lightgbm":
        model = _fit_lightgbm(params, fit, config, weight)
    else:
        raise ValueError(f"unknown model {name!r}")
    from pde.training.models.native import predict_native, tree_count

    auc = math.nan
    if x_val is not None and y_val is not None:
        auc = float(roc_auc_score(y_val, predict_native(name, model, x_val)))
    return Fitted(name, model, params, tree_count(name, model), auc)


def _fit_catboost(params: dict[str, Any], fit: _Fit, config: TrainConfig) -> Any:
    import catboost

    model = catboost.CatBoostClassifier(
        iterations=fit.rounds,
        eval_metric="AUC",
        thread_count=config.threads,
        random_seed=config.seed,
        auto_class_weights=None if config.smote else "Balanced",
        # Bernoulli row sampling and `rsm` column sampling: several times faster on CPU.
        bootstrap_type="Bernoulli",
        border_count=128,
        allow_writing_files=False,
        verbose=False,
        **params,
    )
    if fit.val is not None:
        model.fit(
            fit.x, fit.y, eval_set=fit.val, early_stopping_rounds=fit.stop, use_best_model=True
        )
    else:
        model.fit(fit.x, fit.y)
    return model


def _fit_xgboost(params: dict[str, Any], fit: _Fit, config: TrainConfig, weight: float) -> Any:
    import xgboost as xgb

    model = xgb.XGBClassifier(
        n_estimators=fit.rounds,
        tree_method="hist",
        eval_metric="auc",
        early_stopping_rounds=fit.stop if fit.val is not None else None,
        scale_pos_weight=weight,
        n_jobs=config.threads,
        random_state=config.seed,
        **params,
    )
    if fit.val is not None:
        model.fit(fit.x, fit.y, eval_set=[fit.val], verbose=False)
        return model.get_booster()[: model.best_iteration + 1]
    model.fit(fit.x, fit.y, verbose=False)
    return model.get_booster()


def _fit_lightgbm(params: dict[str, Any], fit: _Fit, config: TrainConfig, weight: float) -> Any:
    import lightgbm as lgb

    model = lgb.LGBMClassifier(
        n_estimators=fit.rounds,
        subsample_freq=1,
        metric="auc",
        scale_pos_weight=weight,
        n_jobs=config.threads,
        random_state=config.seed,
        verbose=-1,
        **params,
    )
    best = fit.rounds
    if fit.val is not None:
        with warnings.catch_warnings():
            # 4.7 renamed eval_set; the old name works in every supported release.
            warnings.filterwarnings("ignore", message=".*eval_set.*deprecated")
            model.fit(
                fit.x,
                fit.y,
                eval_set=[fit.val],
                callbacks=[lgb.early_stopping(fit.stop, first_metric_only=True, verbose=False)],
            )
        best = model.best_iteration_ or fit.rounds
    else:
        model.fit(fit.x, fit.y)
    text = model.booster_.model_to_string(num_iteration=best)
    return lgb.Booster(model_str=float32_thresholds(text))


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _float32_floor(value: float) -> float:
    """The largest float32 not above value (clamped to the finite float32 range)."""
    clamped = min(max(value, -FLOAT32_MAX), FLOAT32_MAX)
    single = np.float32(clamped)
    if float(single) > clamped:
        single = np.nextafter(single, np.float32(-np.inf))
    return float(single)


def float32_thresholds(model_text: str) -> str:
    """A LightGBM model text with every split threshold rounded down to a float32 value.

    LightGBM splits on doubles; ONNX tree ensembles hold float32 thresholds. Rounding a
    threshold t to the nearest float32 can land on a float32 input value x with t < x, which
    then goes left in ONNX and right natively. Rounding down to the largest float32 <= t
    changes no decision for float32 inputs (none lies in between), and makes both agree.
    """
    # `tree_sizes` gives each tree's byte length, which the new numbers change; without it
    # LightGBM reads the trees one after the other.
    lines = [line for line in model_text.split("\n") if not line.startswith("tree_sizes=")]
    for number, line in enumerate(lines):
        if line.startswith("threshold="):
            values = line[len("threshold=") :].split()
            lines[number] = "threshold=" + " ".join(repr(_float32_floor(float(v))) for v in values)
    return "\n".join(lines)

"""The native models of a bundle: file names, save, load, predict and SHAP contributions.

Free of training state, so the server can load a bundle's native files (explanations) and
check them against the ONNX graphs with `pde.training.models.onnx_export.check_parity`.
Native models are: `catboost.CatBoostClassifier`, `xgboost.Booster`, `lightgbm.Booster`,
each already cut to its best iteration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

NATIVE_SUFFIX = {"catboost": ".cbm", "xgboost": ".json", "lightgbm": ".txt"}


def save_native(name: str, model: Any, path: Path) -> None:
    """Writes the model in its library's own format (see NATIVE_SUFFIX)."""
    if name == "catboost":
        model.save_model(str(path), format="cbm")
    elif name in ("xgboost", "lightgbm"):
        model.save_model(str(path))
    else:
        raise ValueError(f"unknown model {name!r}")


def load_native(name: str, path: Path) -> Any:
    """Loads a model written by save_native."""
    if name == "catboost":
        import catboost

        model = catboost.CatBoostClassifier()
        model.load_model(str(path), format="cbm")
        return model
    if name == "xgboost":
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(str(path))
        return booster
    if name == "lightgbm":
        import lightgbm as lgb

        return lgb.Booster(model_file=str(path))
    raise ValueError(f"unknown model {name!r}")


def predict_native(name: str, model: Any, x: np.ndarray) -> np.ndarray:
    """Probability of the positive class for float32 rows x, shape [N], float64."""
    if name == "catboost":
        return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)
    if name == "xgboost":
        return np.asarray(model.inplace_predict(x), dtype=np.float64)
    if name == "lightgbm":
        return np.asarray(model.predict(x), dtype=np.float64)
    raise ValueError(f"unknown model {name!r}")


def shap_contributions(name: str, model: Any, x: np.ndarray) -> np.ndarray:
    """Exact TreeSHAP contributions in log-odds, shape [N, F] (the bias column dropped)."""
    if name == "catboost":
        from catboost import Pool

        values = model.get_feature_importance(Pool(x), type="ShapValues")
    elif name == "xgboost":
        import xgboost as xgb

        values = model.predict(xgb.DMatrix(x), pred_contribs=True)
    elif name == "lightgbm":
        values = model.predict(x, pred_contrib=True)
    else:
        raise ValueError(f"unknown model {name!r}")
    return np.asarray(values, dtype=np.float64)[:, :-1]


def tree_count(name: str, model: Any) -> int:
    if name == "catboost":
        return int(model.tree_count_)
    if name == "xgboost":
        return int(model.num_boosted_rounds())
    return int(model.num_trees())

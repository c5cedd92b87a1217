"""The bundle's native tree models: SHAP contributions for explanations, and the parity check.

Each wrapper exposes `probability(x)` (class-1 probability) and `contributions(x)`
([rows, features + 1] on the log-odds scale, bias last), all single-threaded so they do not
fight onnxruntime for the two cores.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


class NativeModel(Protocol):
    def probability(self, x: F32) -> F64: ...

    def contributions(self, x: F32) -> F64: ...


class _CatBoost:
    def __init__(self, path: Path) -> None:
        import catboost

        self.model_: Any = catboost.CatBoostClassifier(thread_count=1)
        self.model_.load_model(str(path))

    def probability(self, x: F32) -> F64:
        return np.asarray(self.model_.predict_proba(x, thread_count=1)[:, 1], dtype=np.float64)

    def contributions(self, x: F32) -> F64:
        import catboost

        pool = catboost.Pool(x)
        values = self.model_.get_feature_importance(pool, type="ShapValues", thread_count=1)
        return np.asarray(values, dtype=np.float64)


class _XGBoost:
    def __init__(self, path: Path) -> None:
        import xgboost

        self.booster_: Any = xgboost.Booster(model_file=str(path))
        self.booster_.set_param({"nthread": 1})

    def _matrix(self, x: F32) -> Any:
        import xgboost

        return xgboost.DMatrix(x, missing=np.nan, feature_names=self.booster_.feature_names)

    def probability(self, x: F32) -> F64:
        return np.asarray(self.booster_.predict(self._matrix(x)), dtype=np.float64)

    def contributions(self, x: F32) -> F64:
        values = self.booster_.predict(self._matrix(x), pred_contribs=True)
        return np.asarray(values, dtype=np.float64)


class _LightGBM:
    def __init__(self, path: Path) -> None:
        import lightgbm

        self.booster_: Any = lightgbm.Booster(model_file=str(path))

    def probability(self, x: F32) -> F64:
        return np.asarray(self.booster_.predict(x, num_threads=1), dtype=np.float64)

    def contributions(self, x: F32) -> F64:
        values = self.booster_.predict(x, pred_contrib=True, num_threads=1)
        return np.asarray(values, dtype=np.float64)


class _Serialised:
    """One call at a time: the libraries do not all promise thread-safe prediction."""

    def __init__(self, model: NativeModel) -> None:
        self._model = model
        self._lock = threading.Lock()

    def probability(self, x: F32) -> F64:
        with self._lock:
            return self._model.probability(x)

    def contributions(self, x: F32) -> F64:
        with self._lock:
            return self._model.contributions(x)


def load_native(name: str, path: Path) -> NativeModel:
    """Loads the native model of ensemble member `name` from its file."""
    loaders: dict[str, type[_CatBoost] | type[_XGBoost] | type[_LightGBM]] = {
        "catboost": _CatBoost,
        "xgboost": _XGBoost,
        "lightgbm": _LightGBM,
    }
    return _Serialised(loaders[name](path))

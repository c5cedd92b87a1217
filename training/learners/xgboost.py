"""XGBoost: `xgboost.Booster` (hist trees), exported to ONNX by onnxmltools."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pde.training.learners.base import (
    F64,
    PROBABILITIES,
    TARGET_OPSET,
    FitData,
    FitOptions,
    Learner,
    OnnxGraph,
    ParamSpace,
    positive_weight,
)

# The thread count last given to a booster; XGBoost keeps it as a booster parameter, and
# setting one makes the next prediction reconfigure (slow), so it is set only on a change.
_THREADS = "_pde_nthread"


def _use_threads(booster: Any, threads: int) -> None:
    if getattr(booster, _THREADS, None) != threads:
        booster.set_param({"nthread": threads})
        setattr(booster, _THREADS, threads)


class XGBoostLearner(Learner[Any]):
    """Histogram trees grown depth-wise; class weights through `scale_pos_weight`."""

    name = "xgboost"
    suffix = ".json"
    space: ClassVar[ParamSpace] = {
        "max_depth": (3, 4, 5, 6, 7),
        "learning_rate": (0.06, 0.08, 0.1, 0.15, 0.2),
        "subsample": (0.7, 0.85, 1.0),
        "colsample_bytree": (0.6, 0.8, 1.0),
        "min_child_weight": (1.0, 3.0, 10.0),
        "reg_lambda": (0.5, 1.0, 3.0, 10.0),
    }
    defaults: ClassVar[Mapping[str, Any]] = {
        "max_depth": 5,
        "learning_rate": 0.1,
        "subsample": 0.85,
        "colsample_bytree": 0.8,
        "min_child_weight": 3.0,
        "reg_lambda": 1.0,
    }

    def depth(self, params: Mapping[str, Any]) -> float:
        return float(params["max_depth"])

    def fit(self, params: Mapping[str, Any], data: FitData, options: FitOptions) -> Any:
        import xgboost as xgb

        model = xgb.XGBClassifier(
            n_estimators=options.rounds,
            tree_method="hist",
            eval_metric="auc",
            early_stopping_rounds=options.stop_rounds if data.validation is not None else None,
            scale_pos_weight=positive_weight(data.y, balanced=options.balanced),
            n_jobs=options.threads,
            random_state=options.seed,
            **params,
        )
        if data.validation is None:
            model.fit(data.x, data.y, verbose=False)
            return model.get_booster()
        model.fit(data.x, data.y, eval_set=[data.validation], verbose=False)
        return model.get_booster()[: model.best_iteration + 1]

    def save(self, model: Any, path: Path) -> None:
        model.save_model(str(path))

    def load(self, path: Path) -> Any:
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(str(path))
        return booster

    def predict(self, model: Any, x: np.ndarray, *, threads: int = 1) -> F64:
        _use_threads(model, threads)
        return np.asarray(model.inplace_predict(x), dtype=np.float64)

    def contributions(self, model: Any, x: np.ndarray, *, threads: int = 1) -> F64:
        import xgboost as xgb

        _use_threads(model, threads)
        matrix = xgb.DMatrix(x, missing=np.nan, nthread=threads)
        return np.asarray(model.predict(matrix, pred_contribs=True), dtype=np.float64)

    def export_onnx(self, model: Any, *, n_features: int) -> OnnxGraph:
        from onnxmltools import convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType

        types = [("input", FloatTensorType([None, n_features]))]
        graph = convert_xgboost(model, initial_types=types, target_opset=TARGET_OPSET)
        return OnnxGraph(graph.SerializeToString(), "input", PROBABILITIES)

    def tree_count(self, model: Any) -> int:
        return int(model.num_boosted_rounds())

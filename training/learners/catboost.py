"""CatBoost: `catboost.CatBoostClassifier`, exported to ONNX by CatBoost itself."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pde.training.learners.base import (
    F64,
    PROBABILITIES,
    FitData,
    FitOptions,
    Learner,
    OnnxGraph,
    ParamSpace,
)


class CatBoostLearner(Learner[Any]):
    """Ordered boosting on symmetric trees; class weights through `auto_class_weights`."""

    name = "catboost"
    suffix = ".cbm"
    space: ClassVar[ParamSpace] = {
        "depth": (4, 5, 6, 7),
        "learning_rate": (0.06, 0.08, 0.1, 0.15, 0.2),
        "l2_leaf_reg": (1.0, 3.0, 5.0, 10.0),
        "random_strength": (0.5, 1.0, 2.0),
        "subsample": (0.7, 0.85, 1.0),
        "rsm": (0.3, 0.5, 0.8),
    }
    defaults: ClassVar[Mapping[str, Any]] = {
        "depth": 6,
        "learning_rate": 0.1,
        "l2_leaf_reg": 3.0,
        "random_strength": 1.0,
        "subsample": 0.85,
        "rsm": 0.5,
    }

    def depth(self, params: Mapping[str, Any]) -> float:
        return float(params["depth"])  # symmetric trees: every path is this long

    def fit(self, params: Mapping[str, Any], data: FitData, options: FitOptions) -> Any:
        import catboost

        model = catboost.CatBoostClassifier(
            iterations=options.rounds,
            eval_metric="AUC",
            thread_count=options.threads,
            random_seed=options.seed,
            auto_class_weights="Balanced" if options.balanced else None,
            # Bernoulli row sampling and `rsm` column sampling: several times faster on CPU.
            bootstrap_type="Bernoulli",
            border_count=128,
            allow_writing_files=False,
            verbose=False,
            **params,
        )
        if data.validation is None:
            model.fit(data.x, data.y)
        else:
            model.fit(
                data.x,
                data.y,
                eval_set=data.validation,
                early_stopping_rounds=options.stop_rounds,
                use_best_model=True,
            )
        return model

    def save(self, model: Any, path: Path) -> None:
        model.save_model(str(path), format="cbm")

    def load(self, path: Path) -> Any:
        import catboost

        model = catboost.CatBoostClassifier()
        model.load_model(str(path), format="cbm")
        return model

    def predict(self, model: Any, x: np.ndarray, *, threads: int = 1) -> F64:
        return np.asarray(model.predict_proba(x, thread_count=threads)[:, 1], dtype=np.float64)

    def contributions(self, model: Any, x: np.ndarray, *, threads: int = 1) -> F64:
        from catboost import Pool

        values = model.get_feature_importance(Pool(x), type="ShapValues", thread_count=threads)
        return np.asarray(values, dtype=np.float64)

    def export_onnx(self, model: Any, *, n_features: int) -> OnnxGraph:
        # CatBoost's own exporter (onnxmltools has no CatBoost converter): it names its input
        # `features`, declares ai.onnx.ml opset 2 and ends in a ZipMap, removed here.
        import onnx

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            model.save_model(str(path), format="onnx")
            graph = _strip_zipmap(onnx.load(str(path)))
        onnx.checker.check_model(graph)
        return OnnxGraph(graph.SerializeToString(), graph.graph.input[0].name, PROBABILITIES)

    def tree_count(self, model: Any) -> int:
        return int(model.tree_count_)


def _strip_zipmap(model: Any) -> Any:
    """Removes the ZipMap so the probability tensor itself is the graph's output."""
    from onnx import TensorProto, helper

    graph = model.graph
    zipmaps = [node for node in graph.node if node.op_type == "ZipMap"]
    for node in zipmaps:
        tensor, output = node.input[0], node.output[0]
        graph.node.remove(node)
        for other in graph.node:
            for position, name in enumerate(other.output):
                if name == tensor:
                    other.output[position] = output
        for position, value in enumerate(graph.output):
            if value.name == output:
                plain = helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, 2])
                graph.output.remove(value)
                graph.output.insert(position, plain)
    return model

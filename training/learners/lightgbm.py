"""LightGBM: `lightgbm.Booster` with float32-exact thresholds, exported to ONNX by onnxmltools."""

from __future__ import annotations

import math
import warnings
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

FLOAT32_MAX = float(np.finfo(np.float32).max)


class LightGBMLearner(Learner[Any]):
    """Leaf-wise trees; class weights through `scale_pos_weight`."""

    name = "lightgbm"
    suffix = ".txt"
    space: ClassVar[ParamSpace] = {
        "num_leaves": (15, 31, 63),
        "learning_rate": (0.06, 0.08, 0.1, 0.15, 0.2),
        "min_child_samples": (10, 20, 50, 100),
        "subsample": (0.7, 0.85, 1.0),
        "colsample_bytree": (0.6, 0.8, 1.0),
        "reg_lambda": (0.0, 1.0, 5.0),
    }
    defaults: ClassVar[Mapping[str, Any]] = {
        "num_leaves": 31,
        "learning_rate": 0.1,
        "min_child_samples": 20,
        "subsample": 0.85,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
    }

    def depth(self, params: Mapping[str, Any]) -> float:
        return math.log2(params["num_leaves"])  # leaf-wise: a balanced tree's depth

    def fit(self, params: Mapping[str, Any], data: FitData, options: FitOptions) -> Any:
        import lightgbm as lgb

        model = lgb.LGBMClassifier(
            n_estimators=options.rounds,
            subsample_freq=1,
            metric="auc",
            scale_pos_weight=positive_weight(data.y, balanced=options.balanced),
            n_jobs=options.threads,
            random_state=options.seed,
            verbose=-1,
            **params,
        )
        best = options.rounds
        if data.validation is None:
            model.fit(data.x, data.y)
        else:
            stop = lgb.early_stopping(options.stop_rounds, first_metric_only=True, verbose=False)
            with warnings.catch_warnings():
                # 4.7 renamed eval_set; the old name works in every supported release.
                warnings.filterwarnings("ignore", message=".*eval_set.*deprecated")
                model.fit(data.x, data.y, eval_set=[data.validation], callbacks=[stop])
            best = model.best_iteration_ or options.rounds
        text = model.booster_.model_to_string(num_iteration=best)
        return lgb.Booster(model_str=float32_thresholds(text))

    def save(self, model: Any, path: Path) -> None:
        model.save_model(str(path))

    def load(self, path: Path) -> Any:
        import lightgbm as lgb

        check_complete(path)
        return lgb.Booster(model_file=str(path))

    def predict(self, model: Any, x: np.ndarray, *, threads: int = 1) -> F64:
        return np.asarray(model.predict(x, num_threads=threads), dtype=np.float64)

    def contributions(self, model: Any, x: np.ndarray, *, threads: int = 1) -> F64:
        values = model.predict(x, pred_contrib=True, num_threads=threads)
        return np.asarray(values, dtype=np.float64)

    def export_onnx(self, model: Any, *, n_features: int) -> OnnxGraph:
        from onnxmltools import convert_lightgbm
        from onnxmltools.convert.common.data_types import FloatTensorType

        types = [("input", FloatTensorType([None, n_features]))]
        # zipmap=False: a plain probability tensor. Its `label` output declares shape [1],
        # which onnxruntime warns about on every batch: read only the probabilities.
        graph = convert_lightgbm(
            model, initial_types=types, target_opset=TARGET_OPSET, zipmap=False
        )
        return OnnxGraph(graph.SerializeToString(), "input", PROBABILITIES)

    def tree_count(self, model: Any) -> int:
        return int(model.num_trees())


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


def check_complete(path: Path) -> None:
    """Refuses a model file cut short. LightGBM's own parser reads past the end of a truncated
    text model (a crash, not an error, and not always the same way twice), so the file must
    end as LightGBM writes it: the trees, their end marker, then the parameters and the
    `pandas_categorical:` line last."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(size - 64 * 1024, 0))
        tail = handle.read().decode("utf-8", errors="replace")
    last = tail.rstrip().rsplit("\n", 1)[-1]
    if "\nend of trees\n" not in tail and not _has_end_of_trees(path):
        raise ValueError(f"{path.name}: not a complete LightGBM model (no end of trees)")
    if not last.startswith("pandas_categorical:") or "end of parameters" not in tail:
        raise ValueError(f"{path.name}: not a complete LightGBM model (cut short)")


def _has_end_of_trees(path: Path) -> bool:
    with path.open("rb") as handle:
        return any(line == b"end of trees\n" for line in handle)

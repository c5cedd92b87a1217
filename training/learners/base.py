"""The interface every tree library of the ensemble implements, and the values it passes.

A learner is stateless: it fits, saves, loads and uses native models of its library (the
library's own objects, e.g. `xgboost.Booster`). Training and the server reach a library only
through its learner, found by name in `pde.training.learners.LEARNERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Params = dict[str, Any]
ParamSpace = Mapping[str, tuple[Any, ...]]
ModelT = TypeVar("ModelT")

# onnxmltools with the onnx release installed here accepts target_opset up to 15 for XGBoost
# and LightGBM; 17 fails.
TARGET_OPSET = 15
# The name of every graph's plain float32 [N, 2] probability output.
PROBABILITIES = "probabilities"


@dataclass(frozen=True)
class OnnxGraph:
    """A serialized graph and the names of its input and probability output."""

    data: bytes
    input_name: str
    output_name: str


@dataclass(frozen=True)
class FitData:
    """Rows to fit on, and the validation rows early stopping watches (None: no stopping)."""

    x: np.ndarray
    y: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class FitOptions:
    """How to fit, whatever the library: tree budget, stopping patience, threads, seed, and
    whether class weights balance the classes (off when the rows were already resampled)."""

    rounds: int
    stop_rounds: int
    threads: int
    seed: int
    balanced: bool


def positive_weight(y: np.ndarray, *, balanced: bool) -> float:
    """Negatives per positive when balancing the classes, else 1."""
    if not balanced:
        return 1.0
    positives = float(np.sum(y))
    return (len(y) - positives) / max(positives, 1.0)


class Learner(ABC, Generic[ModelT]):
    """One tree library: fit, save, load, predict, SHAP contributions, ONNX export, tree count.

    Rows are float32 [N, F] with NaN for missing values. Calls that take `threads` use that
    many threads, whatever the model was fitted with (the server passes 1: its native models
    must not fight onnxruntime for the two cores).
    """

    name: ClassVar[str]
    # The suffix of the library's own model file (save / load).
    suffix: ClassVar[str]
    # Random search samples each parameter from its tuple; the first trial uses `defaults`.
    space: ClassVar[ParamSpace]
    defaults: ClassVar[Mapping[str, Any]]

    def sample_params(self, rng: np.random.Generator, trial: int) -> Params:
        """The defaults for trial 0, else one value drawn per parameter of the space."""
        if trial == 0:
            return dict(self.defaults)
        return {key: values[rng.integers(len(values))] for key, values in self.space.items()}

    @abstractmethod
    def depth(self, params: Mapping[str, Any]) -> float:
        """The decisions on a row's path through one tree grown with `params` (at most; for
        leaf-wise trees, a balanced tree's): trees x depth is what scoring a row costs."""

    @abstractmethod
    def fit(self, params: Mapping[str, Any], data: FitData, options: FitOptions) -> ModelT:
        """A model with at most `options.rounds` trees, cut to its best iteration by the
        validation AUC when `data.validation` is given (exactly `rounds` trees otherwise)."""

    @abstractmethod
    def save(self, model: ModelT, path: Path) -> None:
        """Writes the model in the library's own format (file name ending in `suffix`)."""

    @abstractmethod
    def load(self, path: Path) -> ModelT:
        """Reads a model written by `save`."""

    @abstractmethod
    def predict(self, model: ModelT, x: np.ndarray, *, threads: int = 1) -> F64:
        """Class-1 probabilities [N]."""

    @abstractmethod
    def contributions(self, model: ModelT, x: np.ndarray, *, threads: int = 1) -> F64:
        """Exact TreeSHAP values from the library, [N, F + 1] on the log-odds scale, the bias
        (expected margin) last: each row sums to the model's raw margin."""

    @abstractmethod
    def export_onnx(self, model: ModelT, *, n_features: int) -> OnnxGraph:
        """One float32 [N, F] input, a plain float32 [N, 2] probability output (no ZipMap)."""

    @abstractmethod
    def tree_count(self, model: ModelT) -> int:
        """The number of boosting rounds the model holds."""

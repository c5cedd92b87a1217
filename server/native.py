"""The bundle's native tree models: SHAP contributions for explanations, and the parity check.

Each model is used through its library's learner (`pde.training.learners`): `probability(x)`
(class-1 probability) and `contributions(x)` ([rows, features + 1] on the log-odds scale, bias
last), one thread per call so they do not fight onnxruntime for the two cores; a batch of
explanations (ExplainStream) may ask for more.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pde.training.learners import Learner

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

THREADS = 1


class NativeModel(Protocol):
    def probability(self, x: F32) -> F64: ...

    def contributions(self, x: F32, *, threads: int = THREADS) -> F64: ...


class _Serialised:
    """One call at a time: the libraries do not all promise thread-safe prediction."""

    def __init__(self, learner: Learner[Any], model: Any) -> None:
        self._learner = learner
        self._model = model
        self._lock = threading.Lock()

    def probability(self, x: F32) -> F64:
        with self._lock:
            return self._learner.predict(self._model, x, threads=THREADS)

    def contributions(self, x: F32, *, threads: int = THREADS) -> F64:
        with self._lock:
            return self._learner.contributions(self._model, x, threads=threads)


def load_native(name: str, path: Path) -> NativeModel:
    """Loads the native model of ensemble member `name` from its file."""
    from pde.training.learners import get_learner  # the libraries: in the explainer only

    learner = get_learner(name)
    return _Serialised(learner, learner.load(path))

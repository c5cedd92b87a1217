"""The parity check between a native model and its ONNX graph, and the sessions it runs.

The learners (`pde.training.learners`) export the graphs: one float32 [N, F] input, a plain
float32 [N, 2] probability output. Nothing here depends on a training run: `check_parity` can
verify a bundle on load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from pde.training.learners import PROBABILITIES, OnnxGraph, get_learner
from pde.training.models.config import ParityError

log = logging.getLogger(__name__)


def onnx_session(graph: bytes | Path, *, threads: int = 1) -> Any:
    """An onnxruntime session that does not spin its threads (they share 2 cores)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    source = str(graph) if isinstance(graph, Path) else graph
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def onnx_probabilities(session: Any, x: np.ndarray, *, input_name: str, output_name: str) -> Any:
    """Positive-class probabilities [N] from a session, for float32 rows x."""
    (probabilities,) = session.run([output_name], {input_name: np.asarray(x, dtype=np.float32)})
    return np.asarray(probabilities, dtype=np.float64)[:, 1]


def parity_rows(x: np.ndarray, *, seed: int, missing_share: float = 0.15) -> np.ndarray:
    """The rows plus a copy of up to 500 of them with `missing_share` of values set to NaN.

    Held-out rows may have no missing values at all; the copy makes sure the graphs' missing
    value branches are exercised.
    """
    rng = np.random.default_rng(seed)
    picked = x[rng.choice(len(x), size=min(500, len(x)), replace=False)].copy()
    picked[rng.random(picked.shape) < missing_share] = np.nan
    return np.vstack([x, picked]).astype(np.float32)


def check_parity(
    name: str,
    native: Any,
    graph: OnnxGraph | Path,
    x: np.ndarray,
    *,
    tolerance: float,
    input_name: str | None = None,
    output_name: str = PROBABILITIES,
    threads: int = 1,
) -> float:
    """Max abs difference between ONNX and native probabilities on x; ParityError above tolerance.

    `graph` is an OnnxGraph or the path of an .onnx file (then give `input_name`).
    """
    if isinstance(graph, OnnxGraph):
        session = onnx_session(graph.data)
        input_name, output_name = graph.input_name, graph.output_name
    else:
        session = onnx_session(graph)
        input_name = input_name or session.get_inputs()[0].name
    rows = np.asarray(x, dtype=np.float32)
    from_onnx = onnx_probabilities(session, rows, input_name=input_name, output_name=output_name)
    from_native = get_learner(name).predict(native, rows, threads=threads)
    diff = float(np.max(np.abs(from_onnx - from_native))) if len(rows) else 0.0
    log.info("%s parity: max abs diff %.3g on %d rows", name, diff, len(rows))
    if not diff <= tolerance:
        raise ParityError(
            f"{name}: ONNX and native probabilities differ by {diff:.3g} on {len(rows)} rows"
            f" (tolerance {tolerance:g}); no bundle written"
        )
    return diff

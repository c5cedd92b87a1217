from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from pde.training.learners import get_learner
from pde.training.models import ParityError
from pde.training.models.onnx_export import (
    check_parity,
    onnx_probabilities,
    onnx_session,
    parity_rows,
)


def test_onnx_export_gives_plain_probability_tensors(
    fitted: tuple[dict[str, Any], np.ndarray],
) -> None:
    natives, x = fitted
    for name, native in natives.items():
        graph = get_learner(name).export_onnx(native, n_features=x.shape[1])
        model = onnx.load_from_string(graph.data)
        assert "ZipMap" not in {node.op_type for node in model.graph.node}
        output = next(o for o in model.graph.output if o.name == graph.output_name)
        assert output.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        session = onnx_session(graph.data)
        (probabilities,) = session.run([graph.output_name], {graph.input_name: x[:7]})
        assert probabilities.shape == (7, 2)
        assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_onnx_export_parity_holds_with_missing_values_and_fails_loudly(
    fitted: tuple[dict[str, Any], np.ndarray], tmp_path: Path
) -> None:
    natives, x = fitted
    rows = parity_rows(x, seed=0)
    assert np.isnan(rows[len(x) :]).mean() > 0.1
    for name, native in natives.items():
        graph = get_learner(name).export_onnx(native, n_features=x.shape[1])
        assert check_parity(name, native, graph, rows, tolerance=1e-4) <= 1e-4
        with pytest.raises(ParityError, match=f"{name}: ONNX and native"):
            check_parity(name, native, graph, rows, tolerance=-1.0)
        # the reusable form: files on disk, as a server would check a bundle on load
        (tmp_path / f"{name}.onnx").write_bytes(graph.data)
        native_path = tmp_path / f"{name}{get_learner(name).suffix}"
        get_learner(name).save(native, native_path)
        reloaded = get_learner(name).load(native_path)
        check_parity(
            name,
            reloaded,
            tmp_path / f"{name}.onnx",
            rows,
            tolerance=1e-4,
            input_name=graph.input_name,
        )
        session = onnx_session(tmp_path / f"{name}.onnx")
        p = onnx_probabilities(
            session, rows, input_name=graph.input_name, output_name="probabilities"
        )
        assert p.shape == (len(rows),)


def test_onnx_export_lightgbm_thresholds_are_float32_exact(
    fitted: tuple[dict[str, Any], np.ndarray],
) -> None:
    natives, _ = fitted
    text = natives["lightgbm"].model_to_string()
    thresholds = [
        float(v)
        for line in text.splitlines()
        if line.startswith("threshold=")
        for v in line.split("=", 1)[1].split()
    ]
    assert thresholds
    assert all(float(np.float32(v)) == v for v in thresholds)

"""The three member graphs merged into one onnxruntime session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pde.contracts.bundle import read_manifest
from pde.core.names import MODEL_NAMES
from pde.server.bundle import load_bundle, synthetic_rows
from pde.server.fused import merged_model


def test_fused_merged_session_equals_the_three_graphs(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    assert bundle.merged_ is not None
    x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=300, seed=11))
    merged = bundle.per_model(x)
    for index, name in enumerate(MODEL_NAMES):
        separate = bundle.graphs_[name].probability(x)
        np.testing.assert_array_equal(merged[index], separate.astype(np.float64))
    one = bundle.per_model(x[:1])
    np.testing.assert_array_equal(one[:, 0], merged[:, 0])


def test_fused_refuses_a_member_without_its_output(bundle_dir: Path) -> None:
    manifest = read_manifest(bundle_dir)
    member = manifest.models["xgboost"]
    members = {"xgboost": (bundle_dir / member.onnx_file, member.input_name, "no-such-output")}
    with pytest.raises(ValueError, match="no-such-output"):
        merged_model(members)

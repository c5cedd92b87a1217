"""The three member graphs merged into one onnxruntime session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pde.contracts.bundle import read_manifest
from pde.contracts.hazard import with_intervals
from pde.core.names import MODEL_NAMES
from pde.server.bundle import _session, load_bundle, member_graphs, synthetic_rows
from pde.server.fused import merged_model


def test_fused_merged_session_equals_the_three_graphs(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    assert bundle.merged_ is not None
    assert not bundle.graphs_  # the merged session alone is held
    graphs = member_graphs(bundle_dir, bundle.manifest, threads=1)
    x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=300, seed=11))
    merged = bundle.per_model(x)
    for index, name in enumerate(MODEL_NAMES):
        separate = graphs[name].probability(x)
        np.testing.assert_array_equal(merged[index], separate.astype(np.float64))
    one = bundle.per_model(x[:1])
    np.testing.assert_array_equal(one[:, 0], merged[:, 0])


def test_fused_refuses_a_member_without_its_output(bundle_dir: Path) -> None:
    manifest = read_manifest(bundle_dir)
    member = manifest.models["xgboost"]
    members = {"xgboost": (bundle_dir / member.onnx_file, member.input_name, "no-such-output")}
    with pytest.raises(ValueError, match="no-such-output"):
        merged_model(members)


def test_one_row_path_agrees_with_the_batch_and_asks_for_the_forecast(
    bundle_dir: Path,
) -> None:
    """The one-row path (plain floats) agrees with the batch path (numpy); the time-to-miss
    forecast comes only when asked for, from the hazard graph on the rows repeated per
    interval, and equals what that graph gives on its own."""
    bundle = load_bundle(bundle_dir)
    x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=300, seed=5))
    scores = bundle.score(x)
    assert bundle.score(x, time_to_miss=False).miss is None
    for index in range(0, 300, 37):
        plain = bundle.score_row(x[index : index + 1])
        row = bundle.score_row(x[index : index + 1], time_to_miss=True)
        assert plain.miss is None
        assert row.probability == plain.probability
        assert row.probability == pytest.approx(scores.probability[index], abs=1e-12)
        assert row.tier == scores.tier[index] and row.alert == scores.alert[index]
        if scores.miss is None:
            assert row.miss is None
        else:
            m = scores.miss
            expected = [m.within_7d, m.within_14d, m.within_30d, m.expected_days]
            assert row.miss == pytest.approx([float(v[index]) for v in expected], abs=1e-12)
    member = bundle.manifest.hazard
    if member is None:
        assert bundle.hazard_ is None
        return
    assert bundle.hazard_ is not None
    separate = _session(str(bundle_dir / member.onnx_file), threads=1)
    hazards = separate.run([member.output_name], {member.input_name: with_intervals(x)})[0]
    np.testing.assert_array_equal(bundle.hazard_.probability(with_intervals(x)), hazards[:, 1])

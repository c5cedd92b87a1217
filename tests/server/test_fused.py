"""The three member graphs merged into one onnxruntime session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pde.contracts.bundle import read_manifest
from pde.contracts.hazard import with_intervals
from pde.core.names import MODEL_NAMES
from pde.server.bundle import _session, load_bundle, member_graphs, synthetic_rows
from pde.server.fused import INPUT, merged_model


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


def test_fused_scoring_graph_gives_the_numpy_blend_calibration_and_hazards(
    bundle_dir: Path,
) -> None:
    """One run of the scoring graph: the members' probabilities as the separate graphs give
    them, the calibrated blend as numpy computes it, and the hazard graph's answers on the
    rows repeated per interval (built in the graph)."""
    bundle = load_bundle(bundle_dir)
    merged = bundle.merged_
    assert merged is not None and merged.head
    assert merged.calibrated == (bundle.manifest.calibration.method in ("platt", "beta"))
    x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=300, seed=5))
    results = merged.session.run(merged.outputs, {INPUT: x})
    per_model = bundle.per_model(x)
    blend = bundle.spec.combine(per_model)
    expected = bundle.spec.calibrate(blend) if merged.calibrated else blend
    np.testing.assert_allclose(results[3], expected, rtol=0, atol=1e-12)
    scores = bundle.score(x)
    for index in range(0, 300, 37):  # the one-row path reads the same run
        row = bundle.score_row(x[index : index + 1])
        assert row.probability == pytest.approx(scores.probability[index], abs=1e-12)
        if scores.miss is not None:
            assert row.miss == pytest.approx(
                [
                    scores.miss.within_7d[index],
                    scores.miss.within_14d[index],
                    scores.miss.within_30d[index],
                    scores.miss.expected_days[index],
                ],
                abs=1e-12,
            )
    member = bundle.manifest.hazard
    if member is None:
        assert not merged.hazards
        return
    assert merged.hazards and bundle.hazard_ is None  # no second session
    separate = _session(str(bundle_dir / member.onnx_file), threads=1)
    hazards = separate.run([member.output_name], {member.input_name: with_intervals(x)})[0]
    np.testing.assert_array_equal(results[-1], hazards)

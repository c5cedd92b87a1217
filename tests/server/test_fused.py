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


def test_fused_scoring_graph_gives_the_members_and_the_hazards_in_one_run(
    bundle_dir: Path,
) -> None:
    """One run of the scoring graph: the members' probabilities as the separate graphs give
    them and the hazard graph's answers on the rows repeated per interval (built in the
    graph); the one-row path (plain floats) agrees with the batch path (numpy)."""
    bundle = load_bundle(bundle_dir)
    merged = bundle.merged_
    assert merged is not None
    x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=300, seed=5))
    results = merged.session.run(merged.outputs, {INPUT: x})
    scores = bundle.score(x)
    for index in range(0, 300, 37):
        row = bundle.score_row(x[index : index + 1])
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
        assert not merged.hazards
        return
    assert merged.hazards and bundle.hazard_ is None  # no second session
    separate = _session(str(bundle_dir / member.onnx_file), threads=1)
    hazards = separate.run([member.output_name], {member.input_name: with_intervals(x)})[0]
    np.testing.assert_array_equal(results[-1], hazards)

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from pde.contracts.bundle import BundleError
from pde.core.names import MODEL_NAMES
from pde.server.bundle import load_bundle
from pde.server.explain import ensemble_contributions, explain_row


def test_bundle_scores_match_native_models(bundle_dir: Path, bundle_tools: ModuleType) -> None:
    bundle = load_bundle(bundle_dir)
    x, _ = bundle_tools.synthetic(500, seed=5)
    scores = bundle.score(x)
    clipped = bundle.spec.clip(x)
    for index, name in enumerate(MODEL_NAMES):
        native = bundle.native(name).probability(clipped)
        assert np.max(np.abs(scores.per_model[index] - native)) <= 1e-4
    assert scores.probability.shape == (500,)
    assert ((scores.probability >= 0) & (scores.probability <= 1)).all()


def test_bundle_refuses_a_file_failing_its_hash(
    tmp_path: Path, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    bad = bundle_tools.corrupt(bundle_dir, tmp_path, "bad")
    with pytest.raises(BundleError, match="sha256"):
        load_bundle(bad)


def test_bundle_refuses_a_graph_disagreeing_with_its_native_model(
    tmp_path: Path, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    bad = bundle_tools.break_parity(bundle_dir, tmp_path, "bad")
    with pytest.raises(BundleError, match="xgboost ONNX graph disagrees"):
        load_bundle(bad)


def test_bundle_explanation_is_additive_on_log_odds(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    row = np.array([[2.0, -1.5, 0.3, np.nan, 0.0, 1.0, -1.0, 0.5]], dtype=np.float32)
    contributions = ensemble_contributions(bundle, row)[0]
    # Each model's SHAP values sum to its margin: the weighted sum is the weighted margin.
    margins = []
    clipped = bundle.spec.clip(row)
    for name in MODEL_NAMES:
        p = bundle.native(name).probability(clipped)[0]
        margins.append(np.log(p / (1 - p)))
    assert contributions.sum() == pytest.approx(float(bundle.spec.weights @ margins), abs=1e-3)
    explanation = explain_row(bundle, row, top_k=3)
    assert 1 <= len(explanation.reasons) <= 3
    assert explanation.reasons[0].feature == max(
        explanation.contributions, key=explanation.contributions.__getitem__
    )
    assert all(r.contribution > 0 and r.text for r in explanation.reasons)

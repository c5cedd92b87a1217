"""Uplift: Qini against a known truth, policy values with paired intervals, protected features
blanked, and a bundle that ships one verified graph per arm."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from pde.contracts.bundle import read_manifest
from pde.contracts.interventions import ACTIONS, ARMS
from pde.training.data.simulate import SimulationConfig, simulate
from pde.training.learners import get_learner
from pde.training.models import TrainConfig, load_canonical_frame, train_frame
from pde.training.models.uplift import fit_uplift
from pde.training.models.uplift_eval import Choice, PolicyInputs, policy_values, qini


def test_uplift_qini_is_one_for_the_perfect_ranking_and_negative_reversed() -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(-0.02, 0.2, 2000)
    assert qini(truth, truth)["qini"] == pytest.approx(1.0)
    assert qini(-truth, truth)["qini"] < -0.5
    noisy = qini(truth + rng.normal(0, 0.05, 2000), truth)
    assert 0.2 < noisy["qini"] < 1.0
    assert noisy["auuc_random"] < noisy["auuc"] < noisy["auuc_oracle"]


def test_uplift_policy_values_intervals_are_paired() -> None:
    n = 4000
    rng = np.random.default_rng(1)
    true = rng.uniform(0, 0.1, (n, len(ACTIONS)))
    inputs = PolicyInputs(
        dates=np.zeros(n),
        p=rng.random(n),
        exposure=np.full(n, 10_000.0),
        product=np.array(["credit_card"] * n),
        vulnerable=np.zeros(n, dtype=bool),
        predicted_uplift=true,
        true_uplift=true,
    )
    best = true.argmax(axis=1)
    top = np.zeros(n, dtype=bool)
    top[np.argsort(-true.max(axis=1))[:400]] = True
    some = np.zeros(n, dtype=bool)
    some[rng.permutation(n)[:400]] = True
    choices = {
        "learned": Choice(top, best),
        "fixed_rule": Choice(some, np.zeros(n, dtype=np.intp)),
        "random": Choice(some, rng.integers(0, len(ACTIONS), n)),
        "oracle": Choice(top, best),
    }
    values = policy_values(
        inputs,
        choices,
        costs=np.zeros(len(ACTIONS)),
        loss_given_default=0.5,
        seed=0,
        bootstrap=200,
    )
    learned = values["policies"]["learned"]
    assert learned["contacts"] == 400
    assert learned["per_1000_contacts"] == pytest.approx(1000 * true.max(axis=1)[top].mean())
    low, high = learned["interval"]
    assert low < learned["per_1000_contacts"] < high
    margin = values["margins"]["learned_minus_fixed_rule"]
    assert margin["excludes_zero"] and margin["interval"][0] > 0


def test_uplift_models_never_read_a_protected_feature() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    x = rng.normal(size=(n, 3)).astype(np.float32)
    arm = rng.integers(0, len(ARMS), n)
    # The outcome depends on the age column: a model allowed to read it would split on it.
    missed = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 2] * 2 - 1)))).astype(np.int8)
    models = fit_uplift(x, arm=arm, missed=missed, names=["a", "b", "age_years"], seed=0, threads=1)
    assert models.masked == ("age_years",)
    older = x.copy()
    older[:, 2] += 30
    assert np.array_equal(models.uplift(x), models.uplift(older))
    assert sum(models.rows.values()) == n


@pytest.fixture(scope="module")
def treated_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uplift")
    config = SimulationConfig(customers=2500, weeks=10, seed=21, treated_weeks=6, flag_share=0.3)
    simulate(config, root / "data")
    frame = load_canonical_frame(root / "data")
    result = train_frame(
        frame, config=TrainConfig.quick_run(gap_days=30, threads=1), model_dir=root / "models"
    )
    return result.bundle_dir


def test_uplift_bundle_ships_one_verified_graph_per_arm(treated_bundle: Path) -> None:
    manifest = read_manifest(treated_bundle, verify=True)
    section = manifest.uplift
    assert section is not None
    assert set(section.arms) == set(ARMS) and section.actions == list(ACTIONS)
    assert section.control == "none" and section.masked_features == ["age_years"]
    learner = get_learner(section.library)
    rows = np.random.default_rng(3).normal(size=(50, len(manifest.feature_names)))
    rows = rows.astype(np.float32)
    for arm in section.arms.values():
        session = ort.InferenceSession(str(treated_bundle / arm.onnx_file))
        graph = session.run([arm.output_name], {arm.input_name: rows})[0][:, 1]
        native = learner.predict(learner.load(treated_bundle / arm.native_file), rows)
        assert np.abs(graph - native).max() < 1e-4
        assert arm.fit_rows > 0
    (treated_bundle / section.arms["none"].onnx_file).write_bytes(b"tampered")
    with pytest.raises(Exception, match="sha256"):
        read_manifest(treated_bundle, verify=True)


def test_uplift_metrics_and_report_give_qini_policy_values_and_fairness(
    treated_bundle: Path,
) -> None:
    metrics = json.loads((treated_bundle / "metrics.json").read_text())["uplift"]
    assert set(metrics["qini"]) == set(ACTIONS)
    policies = metrics["policy_value"]["policies"]
    assert set(policies) == {"learned", "fixed_rule", "random", "oracle"}
    for figures in policies.values():
        low, high = figures["interval"]
        assert low <= figures["per_1000_contacts"] <= high
    assert policies["oracle"]["per_1000_contacts"] > policies["random"]["per_1000_contacts"]
    assert "learned_minus_fixed_rule" in metrics["policy_value"]["margins"]
    assert "age_band" in metrics["fairness"]["attributes"]
    report = (treated_bundle / "report.html").read_text()
    assert "Uplift per action" in report and "misses prevented per 1,000 contacts" in report


def test_uplift_too_little_history_leaves_the_risk_bundle_standing(tmp_path: Path) -> None:
    config = SimulationConfig(customers=300, weeks=8, seed=4, treated_weeks=2)
    simulate(config, tmp_path / "data")
    frame = load_canonical_frame(tmp_path / "data")
    assert frame.uplift is not None
    result = train_frame(
        frame, config=TrainConfig.quick_run(threads=1), model_dir=tmp_path / "models"
    )
    assert result.manifest.uplift is None
    metrics = json.loads((result.bundle_dir / "metrics.json").read_text())
    assert "at least 30" in metrics["uplift"]["skipped"]
    assert "Not fitted" in (result.bundle_dir / "report.html").read_text()

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from pde.core.names import MODEL_NAMES
from pde.training.learners import LEARNERS, PROBABILITIES, FitData, FitOptions, get_learner
from pde.training.learners.base import TARGET_OPSET
from pde.training.learners.lightgbm import float32_thresholds

Parts = dict[str, tuple[np.ndarray, np.ndarray]]
members = pytest.mark.parametrize("name", MODEL_NAMES)


def _with_missing(x: np.ndarray, *, share: float, seed: int) -> np.ndarray:
    """x and a copy of it with `share` of the values set to NaN, stacked."""
    holed = x.copy()
    holed[np.random.default_rng(seed).random(x.shape) < share] = np.nan
    return np.vstack([x, holed])


def test_learners_registry_holds_one_learner_per_member() -> None:
    assert tuple(LEARNERS) == MODEL_NAMES
    assert all(LEARNERS[name].name == name for name in MODEL_NAMES)
    assert len({learner.suffix for learner in LEARNERS.values()}) == len(MODEL_NAMES)
    assert get_learner("xgboost") is LEARNERS["xgboost"]
    with pytest.raises(ValueError, match="unknown model 'ranger'"):
        get_learner("ranger")


@members
def test_learners_sample_params_tries_defaults_first_then_the_space(name: str) -> None:
    learner = get_learner(name)
    assert set(learner.defaults) == set(learner.space)
    assert learner.sample_params(np.random.default_rng(0), 0) == dict(learner.defaults)
    draws = [learner.sample_params(np.random.default_rng(0), trial) for trial in (1, 2)]
    assert draws[0] == draws[1]  # the generator alone decides
    rng = np.random.default_rng(1)
    sampled = [learner.sample_params(rng, trial) for trial in range(1, 30)]
    for params in sampled:
        assert all(params[key] in values for key, values in learner.space.items())
    assert len({tuple(sorted(p.items())) for p in sampled}) > 10


@members
def test_learners_fit_stops_early_on_the_validation_auc(
    name: str, rows: Parts, fitted: dict[str, Any], fit_options: FitOptions
) -> None:
    learner = get_learner(name)
    assert 1 <= learner.tree_count(fitted[name]) < fit_options.rounds
    # Without validation rows: exactly `rounds` trees.
    plain = learner.fit(learner.defaults, FitData(*rows["fit"]), replace(fit_options, rounds=12))
    assert learner.tree_count(plain) == 12


@members
def test_learners_class_weights_balance_the_classes(
    name: str, rows: Parts, fit_options: FitOptions
) -> None:
    learner = get_learner(name)
    x, y = rows["fit"]
    options = replace(fit_options, rounds=40)
    balanced = learner.fit(learner.defaults, FitData(x, y), options)
    weighted = learner.predict(balanced, x).mean()
    plain = learner.fit(learner.defaults, FitData(x, y), replace(options, balanced=False))
    unweighted = learner.predict(plain, x).mean()
    assert 0.1 < y.mean() < 0.3
    assert abs(unweighted - y.mean()) < 0.05
    assert weighted > unweighted + 0.08


@members
def test_learners_predict_gives_probabilities_on_any_thread_count(
    name: str, rows: Parts, fitted: dict[str, Any]
) -> None:
    from sklearn.metrics import roc_auc_score

    learner = get_learner(name)
    x, y = rows["held"]
    p = learner.predict(fitted[name], x)
    assert p.shape == (len(x),) and p.dtype == np.float64
    assert np.all((p > 0) & (p < 1))
    assert roc_auc_score(y, p) > 0.75
    assert np.array_equal(learner.predict(fitted[name], x, threads=2), p)
    assert np.array_equal(learner.predict(fitted[name], x, threads=1), p)


@members
def test_learners_save_and_load_keep_every_answer(
    name: str, rows: Parts, fitted: dict[str, Any], tmp_path: Path
) -> None:
    learner = get_learner(name)
    x, _ = rows["held"]
    path = tmp_path / f"{name}{learner.suffix}"
    learner.save(fitted[name], path)
    loaded = learner.load(path)
    assert type(loaded) is type(fitted[name])
    assert learner.tree_count(loaded) == learner.tree_count(fitted[name])
    assert np.array_equal(learner.predict(loaded, x), learner.predict(fitted[name], x))
    assert np.array_equal(learner.contributions(loaded, x), learner.contributions(fitted[name], x))


@members
def test_learners_contributions_add_up_to_the_log_odds(
    name: str, rows: Parts, fitted: dict[str, Any]
) -> None:
    learner = get_learner(name)
    x, _ = rows["held"]
    values = learner.contributions(fitted[name], x)
    assert values.shape == (len(x), x.shape[1] + 1) and values.dtype == np.float64
    p = learner.predict(fitted[name], x)
    np.testing.assert_allclose(values.sum(axis=1), np.log(p / (1 - p)), atol=1e-5)
    assert np.all(values[:, -1] == values[0, -1])  # the bias: the same for every row
    assert np.all(values[:, -2] == 0.0)  # the constant feature explains nothing
    assert np.abs(values[:, 0]).mean() > np.abs(values[:, 4]).mean()  # signal over noise
    assert np.array_equal(learner.contributions(fitted[name], x, threads=2), values)


@members
def test_learners_onnx_graph_gives_the_native_probabilities(
    name: str, rows: Parts, fitted: dict[str, Any]
) -> None:
    learner = get_learner(name)
    x = _with_missing(rows["held"][0], share=0.3, seed=5)
    graph = learner.export_onnx(fitted[name], n_features=x.shape[1])
    model = onnx.load_from_string(graph.data)
    assert "ZipMap" not in {node.op_type for node in model.graph.node}
    assert graph.output_name == PROBABILITIES
    assert [i.name for i in model.graph.input] == [graph.input_name]
    assert {i.domain: i.version for i in model.opset_import}.get("", 0) <= TARGET_OPSET
    session = ort.InferenceSession(graph.data, providers=["CPUExecutionProvider"])
    (probabilities,) = session.run([graph.output_name], {graph.input_name: x})
    assert probabilities.shape == (len(x), 2) and probabilities.dtype == np.float32
    native = learner.predict(fitted[name], x)
    assert np.max(np.abs(probabilities[:, 1] - native)) < 1e-5


def test_learners_lightgbm_thresholds_round_down_to_float32() -> None:
    text = "tree_sizes=10 20\nthreshold=0.1 -0.30000000000000004 1e+300 2.5\nleaf_value=0.1"
    lines = float32_thresholds(text).split("\n")
    assert lines[1] == "leaf_value=0.1"  # only thresholds change; tree sizes go
    values = [float(v) for v in lines[0].removeprefix("threshold=").split()]
    assert values == [0.09999999403953552, -0.30000001192092896, 3.4028234663852886e38, 2.5]
    assert all(float(np.float32(v)) == v for v in values)
    originals = (0.1, -0.30000000000000004, 1e300, 2.5)
    assert all(new <= old for new, old in zip(values, originals, strict=True))


@pytest.mark.parametrize("share", [0.05, 0.3, 0.6, 0.9, 0.97, 0.995])
def test_learners_lightgbm_refuses_a_model_file_cut_short(
    share: float, fitted: dict[str, Any], tmp_path: Path
) -> None:
    """LightGBM's parser can crash the process on a truncated text model: the learner must
    refuse it before the library reads it."""
    learner = get_learner("lightgbm")
    whole = tmp_path / "whole.txt"
    learner.save(fitted["lightgbm"], whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.txt"
    cut.write_bytes(data[: int(len(data) * share)])
    with pytest.raises(ValueError, match=r"cut.txt: not a complete LightGBM model"):
        learner.load(cut)
    assert learner.tree_count(learner.load(whole)) == learner.tree_count(fitted["lightgbm"])

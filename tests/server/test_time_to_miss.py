"""The server answers the time to miss from the bundle's hazard graph: Score, Explain and
ScoreStream carry it (real server on loopback); a bundle without a hazard model leaves it out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from pde.client import RiskClient
from pde.contracts.bundle import current_bundle_dir, read_manifest, set_current
from pde.contracts.hazard import forecast, with_intervals
from pde.training.learners import get_learner


@pytest.fixture(scope="module")
def hazard_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("served-hazard")
    simulate(SimulationConfig(customers=200, weeks=14, seed=21), root / "data")
    frame = load_canonical_frame(root / "data")
    for seed in (42, 7, 2026):
        try:
            result = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=root / "m"
            )
            set_current(root / "m", result.bundle_dir.name)
            return root / "m"
        except ParityError:
            continue
    pytest.fail("the quick training run failed its parity check with every seed")


@pytest.fixture(scope="module")
def client(hazard_models: Path, start_server: Any) -> Iterator[RiskClient]:
    server = start_server(hazard_models)
    server.load()
    with RiskClient(f"127.0.0.1:{server.port}") as risk_client:
        yield risk_client
    server.stop(grace=1)


def _rows(manifest: Any, n: int) -> np.ndarray:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, len(manifest.feature_names))).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    return x


def _frame(names: list[str], x: np.ndarray) -> pl.DataFrame:
    columns = {name: x[:, i].astype(np.float64) for i, name in enumerate(names)}
    return pl.DataFrame({"id": [f"c{i}" for i in range(len(x))], **columns})


def _expected(bundle_dir: Path, x: np.ndarray) -> Any:
    """The forecast from the native hazard model on the rows clipped as the server clips."""
    manifest = read_manifest(bundle_dir)
    assert manifest.hazard is not None
    lower = np.array([manifest.clip_bounds[n][0] for n in manifest.feature_names])
    upper = np.array([manifest.clip_bounds[n][1] for n in manifest.feature_names])
    clipped = np.clip(x, lower, upper).astype(np.float32)
    native = get_learner("lightgbm").load(bundle_dir / manifest.hazard.native_file)
    hazards = get_learner("lightgbm").predict(native, with_intervals(clipped))
    return forecast(hazards.reshape(len(x), -1))


def test_time_to_miss_score_explain_and_stream(client: RiskClient, hazard_models: Path) -> None:
    bundle_dir = current_bundle_dir(hazard_models)
    manifest = read_manifest(bundle_dir)
    x = _rows(manifest, 40)
    expected = _expected(bundle_dir, x)
    assert client.score("c0", x[0], top_reasons=2).miss is None  # not asked for
    scored = client.score("c0", x[0], top_reasons=2, time_to_miss=True)
    explained = client.explain("c0", x[0], top_k=2)
    for result in (scored, explained):
        assert result.miss is not None
        assert result.miss.within_7d == pytest.approx(expected.within_7d[0], abs=1e-4)
        assert result.miss.within_14d == pytest.approx(expected.within_14d[0], abs=1e-4)
        assert result.miss.within_30d == pytest.approx(expected.within_30d[0], abs=1e-4)
        assert result.miss.expected_days == pytest.approx(expected.expected_days[0], abs=1e-2)
        assert result.miss.within_7d <= result.miss.within_14d <= result.miss.within_30d
    [batch] = list(client.score_batches(_frame(manifest.feature_names, x), id_column="id"))
    assert batch.miss is not None and batch.miss.shape == (40, 4)
    assert np.allclose(batch.miss[:, 2], expected.within_30d, atol=1e-4)
    rows = batch.rows()
    assert rows[3].miss is not None
    assert rows[3].miss.within_7d == pytest.approx(expected.within_7d[3], abs=1e-4)


def test_time_to_miss_absent_without_a_hazard_model(served: Any) -> None:
    """The quick `--table` bundle has no hazard model: no time to miss in any answer."""
    with RiskClient(f"127.0.0.1:{served.port}") as risk_client:
        x = np.zeros((3, 8), dtype=np.float32)
        assert risk_client.score("c0", x[0], time_to_miss=True).miss is None
        assert risk_client.explain("c0", x[0]).miss is None
        names = risk_client.model_info().feature_names
        [batch] = list(risk_client.score_batches(_frame(names, x), id_column="id"))
    assert batch.miss is None and batch.rows()[0].miss is None

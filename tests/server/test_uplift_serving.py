"""The server serves the bundle's uplift graphs: Score and ScoreStream give each action's
expected effect when asked (sync, aio and file clients), equal to the native uplift models;
GetModelInfo names the actions; a bundle without uplift models refuses effects and keeps
scoring; a bundle whose arm disagrees with its native model is refused (real server on
loopback, quick bundle trained on a simulated treated history)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import polars as pl
import pytest

from pde.client import AsyncRiskClient, RiskClient, RiskServiceError
from pde.contracts.bundle import BundleError, read_manifest, set_current
from pde.server.bundle import load_bundle
from pde.server.uplift import native_effects

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def treated_server(
    tmp_path_factory: pytest.TempPathFactory,
    treated_bundle_dir: Path,
    bundle_tools: ModuleType,
    start_server: Any,
) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("served-uplift")
    bundle_tools.copy_as(treated_bundle_dir, root, "u1")
    set_current(root, "u1")
    server = start_server(root)
    server.load()
    yield server
    server.stop(grace=1)


def _rows(n_features: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(n, n_features)).astype(np.float32) * 3
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


def _expected(bundle_dir: Path, x: np.ndarray) -> np.ndarray:
    """The native arms' effects on the rows clipped as the server clips them."""
    manifest = read_manifest(bundle_dir)
    lower = np.array([manifest.clip_bounds[n][0] for n in manifest.feature_names])
    upper = np.array([manifest.clip_bounds[n][1] for n in manifest.feature_names])
    clipped = np.clip(x, lower, upper).astype(np.float32)
    return native_effects(bundle_dir, manifest, clipped)


def test_uplift_served_effects_equal_the_native_models(treated_server: Any) -> None:
    bundle_dir = treated_server.scorer.bundle().directory
    manifest = read_manifest(bundle_dir)
    assert manifest.uplift is not None
    actions = manifest.uplift.actions
    x = _rows(len(manifest.feature_names), 300)
    expected = _expected(bundle_dir, x)
    assert np.abs(expected).max() > 1e-3  # the models do say something
    with RiskClient(f"127.0.0.1:{treated_server.port}") as client:
        info = client.model_info()
        assert info.actions == actions and info.control_action == manifest.uplift.control
        plain = client.score("c0", x[0], top_reasons=2)
        assert plain.expected_effects == {}
        one = client.score("c0", x[0], top_reasons=2, effects=True)
        assert list(one.expected_effects) == actions or set(one.expected_effects) == set(actions)
        got = np.array([one.expected_effects[a] for a in actions])
        assert np.abs(got - expected[0]).max() < TOLERANCE
        assert one.probability == pytest.approx(plain.probability, abs=1e-12)
        assert [r.feature for r in one.reasons] == [r.feature for r in plain.reasons]
        named = client.score(
            "c1", dict(zip(info.feature_names, x[1].tolist(), strict=True)), effects=True
        )
        assert abs(named.expected_effects[actions[0]] - expected[1, 0]) < TOLERANCE
        chunks = list(
            client.score_batches(
                ((str(i), x[i]) for i in range(len(x))), chunk_rows=128, effects=True
            )
        )
        assert all(c.actions == actions for c in chunks)
        streamed = np.concatenate([c.effects for c in chunks if c.effects is not None])
        assert streamed.shape == expected.shape
        assert np.abs(streamed - expected).max() < TOLERANCE
        # a batch large enough to be split across the scoring threads
        many = _rows(len(manifest.feature_names), 3000)
        [big] = list(
            client.score_batches(
                ((str(i), many[i]) for i in range(len(many))), chunk_rows=3000, effects=True
            )
        )
        assert big.effects is not None
        assert np.abs(big.effects - _expected(bundle_dir, many)).max() < TOLERANCE
        rows = list(client.score_many(((str(i), x[i]) for i in range(5)), effects=True))
        assert abs(rows[4].expected_effects[actions[-1]] - expected[4, -1]) < TOLERANCE
        without = next(iter(client.score_batches([("a", x[0])])))
        assert without.effects is None and without.actions == []
        with pytest.raises(RiskServiceError) as caught:
            client.score("bad", [1.0, 2.0], effects=True)
        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(RiskServiceError) as caught:
            client.score("bad", x[0], effects=True, model_version="nope")
        assert caught.value.code == grpc.StatusCode.NOT_FOUND

    async def scenario() -> None:
        async with AsyncRiskClient(f"127.0.0.1:{treated_server.port}") as aio:
            one = await aio.score("c2", x[2], effects=True)
            assert abs(one.expected_effects[actions[1]] - expected[2, 1]) < TOLERANCE
            chunks = [c async for c in aio.score_batches([("a", x[3])], effects=True)]
            assert chunks[0].effects is not None
            assert np.abs(chunks[0].effects[0] - expected[3]).max() < TOLERANCE

    asyncio.run(scenario())


def test_uplift_file_scoring_writes_one_effect_column_per_action(
    treated_server: Any, tmp_path: Path
) -> None:
    from pde.client.batch import score_file

    bundle_dir = treated_server.scorer.bundle().directory
    manifest = read_manifest(bundle_dir)
    assert manifest.uplift is not None
    x = _rows(len(manifest.feature_names), 50)
    columns = {n: x[:, i].astype(np.float64) for i, n in enumerate(manifest.feature_names)}
    pl.DataFrame({"customer_id": [f"c{i}" for i in range(50)], **columns}).write_parquet(
        tmp_path / "in.parquet"
    )
    with RiskClient(f"127.0.0.1:{treated_server.port}") as client:
        score_file(
            client,
            input_path=tmp_path / "in.parquet",
            output_path=tmp_path / "out.parquet",
            effects=True,
        )
    out = pl.read_parquet(tmp_path / "out.parquet")
    got = out.select([f"effect_{a}" for a in manifest.uplift.actions]).to_numpy()
    assert np.abs(got - _expected(bundle_dir, x)).max() < TOLERANCE


def test_uplift_a_bundle_without_uplift_scores_and_refuses_effects(served: Any) -> None:
    with RiskClient(f"127.0.0.1:{served.port}") as client:
        assert client.model_info().actions == []
        n = len(client.model_info().feature_names)
        assert 0 <= client.score("c", [0.5] * n).probability <= 1
        for call in (
            lambda: client.score("c", [0.5] * n, effects=True),
            lambda: list(client.score_batches([("c", [0.5] * n)], effects=True)),
        ):
            with pytest.raises(RiskServiceError) as caught:
                call()
            assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
            assert "no uplift models" in caught.value.details


def test_uplift_an_arm_unlike_its_native_model_is_refused(
    treated_bundle_dir: Path, bundle_tools: ModuleType, tmp_path: Path
) -> None:
    bad = bundle_tools.swap_uplift_arm(treated_bundle_dir, tmp_path, "swapped")
    with pytest.raises(BundleError, match="uplift graphs disagree"):
        load_bundle(bad)

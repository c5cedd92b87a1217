"""The shadow challenger on a real server: loaded by ReloadModel (token needed) or at start,
scored beside the champion on ScoreStream only, its features picked from the champion's rows
by name, bad challengers refused while the champion serves on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pytest

from pde.risk.v1 import risk_pb2, risk_pb2_grpc

TOKEN = "shadow-token"
ADMIN = (("authorization", f"Bearer {TOKEN}"),)
Code = grpc.StatusCode


def _rows(tools: ModuleType, n: int, *, seed: int) -> np.ndarray:
    return tools.synthetic(n, seed=seed)[0].astype(np.float32)


def _stream(stub: Any, x: np.ndarray, *, size: int = 50) -> list[Any]:
    batches = (
        risk_pb2.ScoreBatch(
            row_ids=[f"r{i}" for i in range(start, min(start + size, len(x)))],
            features=x[start : start + size].astype("<f4").tobytes(),
        )
        for start in range(0, len(x), size)
    )
    return list(stub.ScoreStream(batches, timeout=30, metadata=ADMIN))


def _challenger(stub: Any, path: str, metadata: Any = ADMIN) -> Any:
    request = risk_pb2.ReloadRequest(bundle_path=path, challenger=True)
    return stub.ReloadModel(request, timeout=60, metadata=metadata)


def _refused(stub: Any, path: str, metadata: Any = ADMIN) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        _challenger(stub, path, metadata)
    return caught.value  # type: ignore[return-value]


@pytest.fixture(scope="module")
def reordered(tmp_path_factory: pytest.TempPathFactory, bundle_tools: ModuleType) -> Path:
    """A second bundle trained on six of the eight features, in reverse order, and one the
    champion does not take (`g`, a noisy copy of f0)."""
    import polars as pl

    from pde.training.models import TrainConfig, frame_from_table, train_frame

    names = list(reversed(bundle_tools.FEATURES[:6]))
    table = bundle_tools.feature_table(3000, seed=5)
    table = table.with_columns(
        g=pl.col("f0") * 0.5 + pl.Series(np.random.default_rng(1).normal(size=3000))
    )
    table = table.select(["id", *names, "g", "y"])
    frame = frame_from_table(table, label="y", id_column="id")
    root = tmp_path_factory.mktemp("reordered")
    for seed in (3, 42, 7):
        try:
            result = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=root
            )
            return result.bundle_dir
        except Exception:  # a parity refusal on tiny data: another seed
            continue
    pytest.fail("no reordered bundle could be trained")


@pytest.fixture
def guarded(
    model_dir: Path, start_server: Any, bundle_tools: ModuleType, bundle_dir: Path
) -> Iterator[tuple[Any, Any]]:
    bundle_tools.copy_as(bundle_dir, model_dir, "v2")
    server = start_server(model_dir, token=TOKEN)
    server.load()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield server, risk_pb2_grpc.RiskScoringStub(channel)
    server.stop(grace=1)


def test_shadow_challenger_scored_beside_the_champion_on_streams_only(
    guarded: tuple[Any, Any], bundle_tools: ModuleType
) -> None:
    _, stub = guarded
    x = _rows(bundle_tools, 120, seed=3)
    alone = _stream(stub, x)
    assert all(r.challenger_version == "" and not r.challenger_probabilities for r in alone)
    info = _challenger(stub, "v2")
    assert (info.version, info.challenger_version) == ("v1", "v2")
    got = stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5, metadata=ADMIN)
    assert got.challenger_version == "v2"
    both = _stream(stub, x)
    for before, after in zip(alone, both, strict=True):
        # the champion's answer is unchanged; v2 is a copy of v1, so its scores are the same
        assert after.model_version == "v1" and after.challenger_version == "v2"
        assert after.probabilities == before.probabilities
        assert after.challenger_probabilities == before.probabilities
        assert after.challenger_alerts == before.alerts
    request = risk_pb2.ScoreRequest(
        customer_id="c", packed=risk_pb2.PackedFeatures(values=x[0].tolist())
    )
    assert stub.Score(request, timeout=5, metadata=ADMIN).model_version == "v1"
    assert _challenger(stub, "").challenger_version == ""  # unloaded
    assert all(not r.challenger_version for r in _stream(stub, x[:10]))


def _extra(x: np.ndarray) -> np.ndarray:
    return (x[:, 0] * 0.25 + 0.1).astype(np.float32)


def test_shadow_challenger_reads_its_features_by_name_and_takes_others_sent_apart(
    guarded: tuple[Any, Any], bundle_tools: ModuleType, reordered: Path
) -> None:
    import shutil

    import polars as pl

    from pde.client.sync import RiskClient
    from pde.server.bundle import load_bundle

    server, stub = guarded
    target = server.options.model_dir / "narrow"
    shutil.copytree(reordered, target)
    bundle_tools._rewrite(target, version="narrow")
    info = _challenger(stub, "narrow")
    narrow = load_bundle(target)
    assert list(info.challenger_feature_names) == list(narrow.spec.feature_names)
    assert list(narrow.spec.feature_names) == ["f5", "f4", "f3", "f2", "f1", "f0", "g"]
    x = _rows(bundle_tools, 200, seed=9)
    x[::7, 2] = np.nan
    own = np.column_stack([x[:, [5, 4, 3, 2, 1, 0]], _extra(x)])
    expected = narrow.score(own).probability.astype("<f4")
    # without its own feature `g` the challenger cannot score: the champion answers alone
    assert all(not r.challenger_version for r in _stream(stub, x, size=64))
    batches = (
        risk_pb2.ScoreBatch(
            row_ids=[f"r{i}" for i in range(s, min(s + 64, len(x)))],
            features=x[s : s + 64].astype("<f4").tobytes(),
            challenger_features=own[s : s + 64].astype("<f4").tobytes(),
        )
        for s in range(0, len(x), 64)
    )
    results = list(stub.ScoreStream(batches, timeout=30, metadata=ADMIN))
    got = np.concatenate([np.frombuffer(r.challenger_probabilities, dtype="<f4") for r in results])
    champion = np.concatenate([np.frombuffer(r.probabilities, dtype="<f4") for r in results])
    np.testing.assert_array_equal(got, expected)
    assert not np.allclose(got, champion)  # another model: its own scores, not a copy
    # the client sends the challenger's other features from a DataFrame by itself
    frame = pl.DataFrame(
        {"id": [f"r{i}" for i in range(len(x))], "g": _extra(x)}
        | {name: x[:, i] for i, name in enumerate(bundle_tools.FEATURES)}
    )
    with RiskClient(f"127.0.0.1:{server.port}", token=TOKEN) as client:
        rows = list(client.score_many(frame, id_column="id", chunk_rows=50))
    shadow = np.array([r.shadow.probability for r in rows if r.shadow], dtype="<f4")
    np.testing.assert_array_equal(shadow, expected)
    # challenger rows are checked like the champion's: a short one is refused
    bad = risk_pb2.ScoreBatch(
        row_ids=["a"], features=x[:1].tobytes(), challenger_features=b"\0" * 8
    )
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.ScoreStream(iter([bad]), timeout=10, metadata=ADMIN))
    assert caught.value.code() == Code.INVALID_ARGUMENT  # type: ignore[attr-defined]


def test_shadow_bad_challengers_are_refused_and_the_champion_serves_on(
    guarded: tuple[Any, Any], bundle_tools: ModuleType, bundle_dir: Path
) -> None:
    server, stub = guarded
    model_dir = server.options.model_dir
    assert _refused(stub, "v2", metadata=()).code() == Code.UNAUTHENTICATED
    _challenger(stub, "v2")
    bundle_tools.corrupt(bundle_dir, model_dir, "broken")
    other = bundle_tools.copy_as(bundle_dir, model_dir, "other-features")
    bundle_tools._rewrite(other, feature_catalogue_version="pde-features-v0")
    for path, words in (
        ("broken", "sha256"),
        ("v1", "the champion itself"),
        ("other-features", "cannot score the champion's rows"),
        ("../outside", "outside the model directory"),
    ):
        error = _refused(stub, path)
        assert error.code() in (Code.FAILED_PRECONDITION, Code.INVALID_ARGUMENT), path
        assert words in (error.details() or ""), (path, error.details())
    info = stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5, metadata=ADMIN)
    assert (info.version, info.challenger_version) == ("v1", "v2")  # both kept


def test_shadow_challenger_named_at_start(
    model_dir: Path, start_server: Any, bundle_tools: ModuleType, bundle_dir: Path
) -> None:
    from pde.client.sync import RiskClient

    bundle_tools.copy_as(bundle_dir, model_dir, "v2")
    server = start_server(model_dir, challenger="v2")
    server.load()
    try:
        with RiskClient(f"127.0.0.1:{server.port}") as client:
            assert client.model_info().challenger_version == "v2"
            x = _rows(bundle_tools, 30, seed=4)
            rows = list(client.score_many([(f"r{i}", v) for i, v in enumerate(x)]))
        assert all(r.shadow is not None and r.shadow.version == "v2" for r in rows)
        assert all(r.shadow and r.shadow.probability == r.probability for r in rows)
    finally:
        server.stop(grace=1)
    # a challenger that cannot load: logged, the champion serves alone
    server = start_server(model_dir, challenger="missing")
    server.load()
    try:
        with RiskClient(f"127.0.0.1:{server.port}") as client:
            assert client.health() == "SERVING"
            assert client.model_info().challenger_version is None
    finally:
        server.stop(grace=1)


def test_shadow_challenger_from_the_settings(tmp_path: Path) -> None:
    from pde.core.settings import Settings
    from pde.server.transport.options import ServerOptions

    named = Settings(model_dir=tmp_path, challenger_version="v2")
    assert ServerOptions.from_settings(named).challenger == "v2"
    assert ServerOptions.from_settings(Settings(model_dir=tmp_path)).challenger is None
    assert ServerOptions.from_settings(named, challenger="v3").challenger == "v3"  # --challenger


def test_shadow_challenger_follows_a_champion_swap(
    guarded: tuple[Any, Any], bundle_tools: ModuleType, bundle_dir: Path
) -> None:
    server, stub = guarded
    model_dir = server.options.model_dir
    bundle_tools.copy_as(bundle_dir, model_dir, "v3")
    other = bundle_tools.copy_as(bundle_dir, model_dir, "other-features")
    bundle_tools._rewrite(other, feature_catalogue_version="pde-features-v0")
    _challenger(stub, "v2")
    x = _rows(bundle_tools, 40, seed=6)
    stub.ReloadModel(risk_pb2.ReloadRequest(bundle_path="v3"), timeout=60, metadata=ADMIN)
    after = _stream(stub, x)  # the same features: the challenger stays beside the new champion
    assert all(r.model_version == "v3" and r.challenger_version == "v2" for r in after)
    stub.ReloadModel(
        risk_pb2.ReloadRequest(bundle_path="other-features"), timeout=60, metadata=ADMIN
    )
    alone = _stream(stub, x)  # another catalogue: the challenger cannot follow, it is unloaded
    assert all(r.model_version == "other-features" and not r.challenger_version for r in alone)
    info = stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5, metadata=ADMIN)
    assert info.challenger_version == "" and not info.challenger_feature_names

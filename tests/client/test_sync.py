"""RiskClient against a real server on loopback."""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pandas as pd
import polars as pl
import pytest

from pde.client import RiskClient, RiskServiceError
from pde.client.channel import SERVICE_CONFIG


@pytest.fixture(scope="module")
def client(served: Any) -> Any:
    with RiskClient(f"127.0.0.1:{served.port}") as risk_client:
        yield risk_client


ROW = [0.5, -1.0, 0.2, float("nan"), 1.0, 0.0, -0.3, 2.0]


def test_sync_score_explain_info_health(client: RiskClient) -> None:
    info = client.model_info()
    assert info.version == "v1"
    assert info.feature_names == [f"f{i}" for i in range(8)]
    assert "ensemble" in info.metrics
    by_name = client.score("c1", dict(zip(info.feature_names, ROW, strict=True)), top_reasons=2)
    packed = client.score("c1", np.array(ROW))
    assert by_name.probability == pytest.approx(packed.probability)
    band = next(t for t in info.tiers if t.lower <= by_name.probability < t.upper)
    assert by_name.tier == band.name
    assert by_name.alert == (by_name.probability >= info.threshold)
    assert by_name.reasons and by_name.reasons[0].text
    explanation = client.explain("c1", ROW, top_k=3)
    assert set(explanation.contributions) == set(info.feature_names)
    assert explanation.probability == pytest.approx(packed.probability)
    assert client.health() == "SERVING"


def test_sync_explain_batches_equal_explain_row_by_row(
    client: RiskClient, served: Any, bundle_tools: ModuleType
) -> None:
    x, _ = bundle_tools.synthetic(40, seed=5)
    x[3, 2] = np.nan
    rows = [(f"r{i}", x[i]) for i in range(len(x))]
    chunks = list(client.explain_batches(iter(rows), top_k=3, chunk_rows=16))
    assert [len(c.row_ids) for c in chunks] == [16, 16, 8]
    assert [r for c in chunks for r in c.row_ids] == [f"r{i}" for i in range(40)]
    expected = served.scorer.bundle().score(x).probability
    got = np.concatenate([c.probabilities for c in chunks])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    reasons = [r for c in chunks for r in c.reasons]
    assert any(reasons)
    for index in (0, 3, 17, 39):
        one = client.explain(f"r{index}", x[index], top_k=3)
        assert [r.feature for r in reasons[index]] == [r.feature for r in one.reasons]
        assert [r.text for r in reasons[index]] == [r.text for r in one.reasons]
        for batched, single in zip(reasons[index], one.reasons, strict=True):
            assert batched.contribution == pytest.approx(single.contribution, rel=1e-5, abs=1e-9)
        base = chunks[index // 16].base_values[index % 16]
        assert base == pytest.approx(one.base_value, rel=1e-5)


def test_sync_explain_batches_refuse_bad_input(client: RiskClient) -> None:
    with pytest.raises(RiskServiceError) as caught:
        list(client.explain_batches([("a", ROW)], top_k=-1))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "top_k" in str(caught.value)
    with pytest.raises(RiskServiceError) as caught:
        list(client.explain_batches([("a", ROW[:3])], top_k=2))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    many = ((str(i), ROW) for i in range(10_001))
    with pytest.raises(RiskServiceError) as caught:
        list(client.explain_batches(many, top_k=1, chunk_rows=10_001))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "10000 rows" in str(caught.value)


def test_sync_errors_carry_the_status_code(client: RiskClient) -> None:
    with pytest.raises(RiskServiceError) as caught:
        client.score("c1", ROW[:3])
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "expected 8 feature values" in str(caught.value)


def test_sync_score_many_dataframes_and_iterables_in_order(
    client: RiskClient, served: Any, bundle_tools: ModuleType
) -> None:
    x, _ = bundle_tools.synthetic(2_500, seed=3)
    expected = served.scorer.bundle().score(x)
    names = [f"f{i}" for i in range(8)]
    frame = pd.DataFrame(x[:, ::-1], columns=names[::-1])  # column order must not matter
    frame.insert(0, "customer", [f"k{i}" for i in range(len(x))])
    rows = list(client.score_many(frame, id_column="customer", chunk_rows=300))
    assert [r.row_id for r in rows] == list(frame["customer"])
    got = np.array([r.probability for r in rows], dtype=np.float32)
    assert np.array_equal(got, expected.probability.astype(np.float32))
    tier_names = [t.name for t in client.model_info().tiers]
    assert [r.tier for r in rows] == [tier_names[i] for i in expected.tier]

    polars_rows = list(client.score_many(pl.from_pandas(frame), id_column="customer"))
    assert [r.probability for r in polars_rows] == [r.probability for r in rows]

    pairs = ((f"p{i}", x[i]) for i in range(len(x)))
    from_pairs = list(client.score_many(pairs, chunk_rows=1000))
    assert [r.probability for r in from_pairs] == [r.probability for r in rows]


def test_sync_score_many_pulls_input_lazily(client: RiskClient) -> None:
    produced = 0

    def endless() -> Any:
        nonlocal produced
        while True:
            produced += 1
            yield str(produced), [0.0] * 8

    stream = client.score_many(endless(), chunk_rows=100)
    first = [next(stream) for _ in range(150)]
    stream.close()
    assert first[0].row_id == "1"
    assert produced < 100_000  # flow control bounds what was read ahead


def test_sync_channel_retries_unavailable() -> None:
    policy = SERVICE_CONFIG["methodConfig"][0]["retryPolicy"]  # type: ignore[index]
    assert policy["retryableStatusCodes"] == ["UNAVAILABLE"]
    # A deadline far beyond the retries' backoff (at most 0.1 + 0.2 + 0.4 s): the call ends
    # when the retries are spent, with UNAVAILABLE, not when the deadline passes.
    started = time.monotonic()
    with RiskClient("127.0.0.1:1", timeout=10.0) as nowhere, pytest.raises(RiskServiceError) as e:
        nowhere.health()
    assert e.value.code == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started < 5.0


def test_sync_token_is_sent(model_dir: Path, start_server: Any) -> None:
    server = start_server(model_dir, token="t0k")
    server.load()
    try:
        address = f"127.0.0.1:{server.port}"
        with RiskClient(address) as anonymous, pytest.raises(RiskServiceError) as caught:
            anonymous.model_info()
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
        with RiskClient(address, token="t0k") as authorised:
            assert authorised.model_info().version == "v1"
            assert authorised.reload().version == "v1"
    finally:
        server.stop(grace=1)


def test_sync_client_from_settings_uses_address_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from pde.client.sync import RiskClient
    from pde.core.settings import load_settings

    monkeypatch.setenv("PDE_GRPC_ADDRESS", "127.0.0.1:50999")
    monkeypatch.setenv("PDE_GRPC_TOKEN", "t0ken")
    with RiskClient.from_settings(load_settings(), timeout=1.5) as client:
        assert client.options.address == "127.0.0.1:50999"
        assert client.options.token == "t0ken"
        assert client.options.timeout == 1.5
        assert client.options.tls is False

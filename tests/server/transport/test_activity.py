"""Scoring from raw activity: the server computes features with the training code."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import polars as pl
import pytest

from pde.client.activity import raw_activity
from pde.risk.v1 import risk_pb2, risk_pb2_grpc

AS_OF = date(2025, 4, 7)


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small simulated data directory and a quick bundle trained on it (~20 s)."""
    from pde.contracts.bundle import set_current
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("canonical")
    data_dir, model_dir = root / "data", root / "models"
    subprocess.run(
        [sys.executable, "-m", "pde.cli.main", "simulate", "-n", "400", "-o", str(data_dir)],
        check=True,
        capture_output=True,
    )
    frame = load_canonical_frame(data_dir)
    # These tests need a faithful bundle, not a particular one: the trainer refuses a bundle
    # whose ONNX graphs drift from the native models, which tiny data can provoke, so try
    # another seed then (parity itself is tested in tests/training).
    for seed in (42, 7, 2026):
        try:
            config = TrainConfig.quick_run(threads=1, seed=seed)
            result = train_frame(frame, config=config, model_dir=model_dir)
            set_current(model_dir, result.bundle_dir.name)  # training leaves it to promotion
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    return data_dir, model_dir


@pytest.fixture(scope="module")
def activity_server(canonical: tuple[Path, Path], start_server: Any) -> Iterator[Any]:
    server = start_server(canonical[1])
    server.load()
    yield server
    server.stop(grace=1)


def _activity(data_dir: Path, customer_id: str) -> risk_pb2.RawActivity:
    def rows(name: str, column: str, cutoff: Any) -> list[dict[str, Any]]:
        frame = pl.read_parquet(data_dir / f"{name}.parquet")
        return frame.filter(
            (pl.col("customer_id") == customer_id) & (pl.col(column) < cutoff)
        ).to_dicts()

    customer = rows("customers", "open_date", AS_OF)[0]
    return raw_activity(
        as_of=AS_OF,
        customer=customer,
        transactions=rows("transactions", "timestamp", datetime.combine(AS_OF, time())),
        payments=rows("payments", "due_date", AS_OF),
    )


def test_activity_score_equals_training_features(
    canonical: tuple[Path, Path], activity_server: Any
) -> None:
    from pde.contracts.data.io import load_dataset
    from pde.training.features import compute_features

    data_dir, _ = canonical
    bundle = activity_server.scorer.bundle()
    everything = compute_features(load_dataset(data_dir), [AS_OF])
    customers = pl.read_parquet(data_dir / "customers.parquet")["customer_id"].to_list()[:3]
    with grpc.insecure_channel(f"127.0.0.1:{activity_server.port}") as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        for customer_id in customers:
            request = risk_pb2.ScoreRequest(
                customer_id=customer_id, activity=_activity(data_dir, customer_id), top_reasons=2
            )
            reply = stub.Score(request, timeout=30)
            row = everything.filter(pl.col("customer_id") == customer_id)
            x = row.select(bundle.manifest.feature_names).to_numpy().astype(np.float32)
            expected = bundle.score(x).probability[0]
            assert reply.probability == pytest.approx(expected, abs=1e-6)
            assert reply.model_version == bundle.version
            explained = stub.Explain(
                risk_pb2.ExplainRequest(
                    customer_id=customer_id, activity=request.activity, top_k=3
                ),
                timeout=30,
            )
            assert explained.probability == pytest.approx(expected, abs=1e-6)
            assert all(r.text and "{v}" not in r.text for r in explained.reasons)


def test_activity_needs_as_of_and_known_categories(
    canonical: tuple[Path, Path], activity_server: Any
) -> None:
    activity = _activity(canonical[0], "C0000001")
    no_date = risk_pb2.RawActivity()
    no_date.CopyFrom(activity)
    no_date.ClearField("as_of")
    bad_category = risk_pb2.RawActivity()
    bad_category.CopyFrom(activity)
    bad_category.transactions.add(category="lottery", channel="card", amount=-5.0)
    bad_category.transactions[-1].timestamp.FromDatetime(datetime(2025, 4, 1))
    with grpc.insecure_channel(f"127.0.0.1:{activity_server.port}") as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        for message, text in ((no_date, "as_of"), (bad_category, "lottery")):
            with pytest.raises(grpc.RpcError) as caught:
                stub.Score(risk_pb2.ScoreRequest(customer_id="C0000001", activity=message))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert text in caught.value.details()


def test_activity_fuzzed_raw_activity_is_never_a_server_fault(activity_server: Any) -> None:
    from pde.bench.fuzz import run_fuzz

    bundle = activity_server.scorer.bundle()
    report = run_fuzz(
        f"127.0.0.1:{activity_server.port}",
        count=400,
        feature_names=bundle.spec.feature_names,
        version=bundle.version,
        seed=3,
        methods=("Score", "Explain"),
    )
    assert report.failures == []
    assert report.ok
    for method in ("Score", "Explain"):  # raw activity reached the features and was refused
        assert report.by_label[f"{method}/activity"]["OK"] > 0
        assert report.by_label[f"{method}/activity"]["INVALID_ARGUMENT"] > 0

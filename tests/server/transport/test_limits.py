"""The message size limit follows the batch row limit and the bundle's feature count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import polars as pl
import pytest

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from pde.server.inputs import MAX_BATCH_ROWS, ROW_ID_BYTES, batch_message_bytes

WIDE_FEATURES = 174
BIG = [("grpc.max_send_message_length", 256 << 20), ("grpc.max_receive_message_length", 256 << 20)]


def _batch(rows: int, n_features: int, *, id_chars: int = 8) -> risk_pb2.ScoreBatch:
    x = np.random.default_rng(rows).normal(size=(rows, n_features)).astype("<f4")
    ids = [f"{i:0{id_chars}d}" for i in range(rows)]
    return risk_pb2.ScoreBatch(row_ids=ids, features=x.tobytes())


def _stream(port: int, batch: risk_pb2.ScoreBatch) -> list[risk_pb2.ScoreBatchResult]:
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=BIG) as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        return list(stub.ScoreStream(iter([batch]), timeout=120))


@pytest.fixture(scope="module")
def wide_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick bundle of 174 features: a full batch of it is over 64 MiB."""
    from pde.contracts.bundle import set_current
    from pde.training.models import ParityError, TrainConfig, frame_from_table, train_frame

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, WIDE_FEATURES))
    y = (rng.random(len(x)) < 1 / (1 + np.exp(x[:, 1] - x[:, 0]))).astype(np.int32)
    columns = {f"w{i:03d}": x[:, i] for i in range(WIDE_FEATURES)}
    table = pl.DataFrame({"id": [f"c{i}" for i in range(len(x))], **columns, "y": y})
    frame = frame_from_table(table, label="y", id_column="id")
    root = tmp_path_factory.mktemp("wide")
    for seed in (42, 7, 2026):
        try:
            result = train_frame(
                frame,
                config=TrainConfig.quick_run(threads=1, seed=seed, prune_min_share=0.0),
                model_dir=root,
            )
            set_current(root, result.bundle_dir.name)  # training leaves it to promotion
            return root
        except ParityError:
            continue
    pytest.fail("the quick training run failed its parity check with every seed")


@pytest.mark.slow
def test_limits_a_full_batch_of_a_174_feature_bundle_goes_through(
    wide_model_dir: Path, start_server: Any
) -> None:
    server = start_server(wide_model_dir)
    server.load()
    try:
        assert batch_message_bytes(WIDE_FEATURES) > 64 << 20
        assert server.message_limit == batch_message_bytes(WIDE_FEATURES, MAX_BATCH_ROWS)
        batch = _batch(MAX_BATCH_ROWS, WIDE_FEATURES, id_chars=ROW_ID_BYTES)
        assert batch.ByteSize() > 64 << 20
        (result,) = _stream(server.port, batch)
        assert len(result.row_ids) == MAX_BATCH_ROWS
        assert np.isfinite(np.frombuffer(result.probabilities, "<f4")).all()
    finally:
        server.stop(grace=1)


@pytest.fixture
def small_batches(model_dir: Path, start_server: Any) -> Iterator[Any]:
    server = start_server(model_dir, max_batch_rows=2000)
    server.load()
    yield server
    server.stop(grace=1)


def test_limits_row_and_message_limits_agree_and_are_named(small_batches: Any) -> None:
    server = small_batches
    assert server.message_limit == batch_message_bytes(8, 2000)
    (result,) = _stream(server.port, _batch(2000, 8, id_chars=ROW_ID_BYTES))
    assert len(result.row_ids) == 2000
    with pytest.raises(grpc.RpcError) as caught:
        _stream(server.port, _batch(2001, 8))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "batch of 2001 rows is over the limit of 2000 rows for this model" in (
        caught.value.details()
    )
    assert "up to 2000 rows of 8 features (messages up to 0.3 MiB)" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        _stream(server.port, _batch(20_000, 8))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert str(server.message_limit) in caught.value.details()


def test_limits_a_fixed_message_size_limits_the_rows_to_what_fits(
    model_dir: Path, start_server: Any
) -> None:
    server = start_server(model_dir, max_message_mb=1)
    server.load()
    try:
        limit = server.scorer.batch_limit(server.scorer.bundle())
        assert limit.message_bytes == 1 << 20
        assert 0 < limit.rows < MAX_BATCH_ROWS
        assert (
            batch_message_bytes(8, limit.rows) <= 1 << 20 < batch_message_bytes(8, limit.rows + 1)
        )
        (result,) = _stream(server.port, _batch(limit.rows, 8, id_chars=ROW_ID_BYTES))
        assert len(result.row_ids) == limit.rows
    finally:
        server.stop(grace=1)

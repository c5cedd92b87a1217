"""RiskScoring over a real server on loopback: answers and every bad-input case."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pytest

from pde.risk.v1 import risk_pb2, risk_pb2_grpc

Code = grpc.StatusCode


@pytest.fixture(scope="module")
def stub(served: Any) -> Iterator[risk_pb2_grpc.RiskScoringStub]:
    with grpc.insecure_channel(f"127.0.0.1:{served.port}") as channel:
        yield risk_pb2_grpc.RiskScoringStub(channel)


def _packed(values: list[float], **fields: Any) -> risk_pb2.ScoreRequest:
    return risk_pb2.ScoreRequest(
        customer_id="c1", packed=risk_pb2.PackedFeatures(values=values), **fields
    )


def _error(call: Any, request: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=10)
    return caught.value  # type: ignore[return-value]


ROW = [0.5, -1.0, 0.2, float("nan"), 1.0, 0.0, -0.3, 2.0]


def test_servicer_score_packed_equals_in_process(stub: Any, served: Any) -> None:
    reply = stub.Score(_packed(ROW), timeout=5)
    expected = served.scorer.bundle().score(np.array([ROW], dtype=np.float32))
    assert reply.customer_id == "c1"
    assert reply.model_version == "v1"
    assert reply.probability == pytest.approx(expected.probability[0], abs=1e-9)
    assert set(reply.model_probabilities) == {"catboost", "xgboost", "lightgbm"}
    bundle = served.scorer.bundle()
    assert reply.tier == bundle.spec.tier_names[expected.tier[0]]
    assert reply.alert == (reply.probability >= bundle.manifest.threshold)
    assert not reply.reasons


def test_servicer_score_named_equals_packed_and_gives_reasons(stub: Any) -> None:
    info = stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5)
    named = risk_pb2.ScoreRequest(
        customer_id="c2",
        named=risk_pb2.NamedFeatures(values=dict(zip(info.feature_names, ROW, strict=True))),
        top_reasons=2,
    )
    reply = stub.Score(named, timeout=5)
    assert reply.probability == pytest.approx(stub.Score(_packed(ROW), timeout=5).probability)
    assert 1 <= len(reply.reasons) <= 2
    assert all(r.contribution > 0 and r.text for r in reply.reasons)


def test_servicer_explain_contributions_and_reasons(stub: Any) -> None:
    request = risk_pb2.ExplainRequest(
        customer_id="c3", packed=risk_pb2.PackedFeatures(values=ROW), top_k=3
    )
    reply = stub.Explain(request, timeout=10)
    assert set(reply.contributions) == {f"f{i}" for i in range(8)}
    assert reply.model_version == "v1"
    assert 0 < reply.probability < 1
    top = max(reply.contributions.items(), key=lambda kv: kv[1])
    assert reply.reasons[0].feature == top[0]
    sent = ROW[int(top[0][1:])]  # the reason carries the feature's value as sent
    if math.isnan(sent):
        assert math.isnan(reply.reasons[0].value)
    else:
        assert reply.reasons[0].value == pytest.approx(sent)


def test_servicer_model_info(stub: Any) -> None:
    info = stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5)
    assert info.version == "v1"
    assert list(info.feature_names) == [f"f{i}" for i in range(8)]
    assert info.tiers[0].name == "low"
    assert info.tiers[-1].upper == 1.0
    assert sum(info.ensemble_weights.values()) == pytest.approx(1.0)
    assert "ensemble" in info.metrics_json


def test_servicer_scores_run_on_their_own_threads_other_calls_on_handler_threads(
    stub: Any, served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    score_one, info = served.scorer.score_one, served.scorer.bundle

    def recorded(call: Any) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            threads.append(threading.current_thread().name)
            return call(*args, **kwargs)

        return record

    monkeypatch.setattr(served.scorer, "score_one", recorded(score_one))
    plain = stub.Score(_packed(ROW), timeout=10)
    reasons = stub.Score(_packed(ROW, top_reasons=2), timeout=10)
    monkeypatch.setattr(served.scorer, "bundle", recorded(info))
    stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5)
    assert threads[0].startswith("pde-score-call") and threads[1].startswith("pde-score-call")
    assert threads[-1].startswith("grpc_")  # the handler threads
    assert plain.probability == reasons.probability
    assert len(reasons.reasons) == 2


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [
        (_packed(ROW[:7]), Code.INVALID_ARGUMENT, "expected 8 feature values"),
        (_packed([*ROW[:7], math.inf]), Code.INVALID_ARGUMENT, "'f7' is infinite"),
        (_packed([*ROW[:7], -1e300]), Code.INVALID_ARGUMENT, "'f7' = -1e+300 is out of range"),
        (_packed([]), Code.INVALID_ARGUMENT, "expected 8 feature values in model order, got 0"),
        (
            risk_pb2.ScoreRequest(named=risk_pb2.NamedFeatures(values={"f0": 1.0, "zz": 2.0})),
            Code.INVALID_ARGUMENT,
            "unknown feature names: 'zz'",
        ),
        (
            risk_pb2.ScoreRequest(named=risk_pb2.NamedFeatures(values={"f0": 1.0})),
            Code.INVALID_ARGUMENT,
            "7 features missing",
        ),
        (risk_pb2.ScoreRequest(customer_id="x"), Code.INVALID_ARGUMENT, "no input"),
        (_packed(ROW, top_reasons=-1), Code.INVALID_ARGUMENT, "top_reasons"),
        (_packed(ROW, model_version="v0"), Code.NOT_FOUND, "'v0' is not loaded"),
        (
            risk_pb2.ScoreRequest(
                customer_id="x",
                activity=risk_pb2.RawActivity(as_of={"seconds": 1_700_000_000}),
            ),
            Code.FAILED_PRECONDITION,
            "trained on a feature table",
        ),
    ],
)
def test_servicer_score_refuses_bad_input(
    stub: Any, request_: risk_pb2.ScoreRequest, code: grpc.StatusCode, message: str
) -> None:
    error = _error(stub.Score, request_)
    assert error.code() == code
    assert message in error.details()


def _batches(x: np.ndarray, *, size: int) -> Iterator[risk_pb2.ScoreBatch]:
    for start in range(0, len(x), size):
        part = x[start : start + size]
        yield risk_pb2.ScoreBatch(
            row_ids=[str(i) for i in range(start, start + len(part))],
            features=part.astype("<f4").tobytes(),
        )


def test_servicer_stream_of_100k_rows_equals_in_process(
    stub: Any, served: Any, bundle_tools: ModuleType
) -> None:
    x, _ = bundle_tools.synthetic(100_000, seed=11)
    ids: list[str] = []
    probabilities, tiers, alerts = [], [], []
    for result in stub.ScoreStream(_batches(x, size=7_000), timeout=60):
        assert result.model_version == "v1"
        ids.extend(result.row_ids)
        probabilities.append(np.frombuffer(result.probabilities, dtype="<f4"))
        tiers.append(np.frombuffer(result.tiers, dtype=np.uint8))
        alerts.append(np.frombuffer(result.alerts, dtype=np.uint8))
    expected = served.scorer.bundle().score(x)
    assert ids == [str(i) for i in range(100_000)]
    assert np.array_equal(np.concatenate(probabilities), expected.probability.astype(np.float32))
    assert np.array_equal(np.concatenate(tiers), expected.tier)
    assert np.array_equal(np.concatenate(alerts).astype(bool), expected.alert)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (risk_pb2.ScoreBatch(row_ids=[], features=b""), "empty batch"),
        (risk_pb2.ScoreBatch(row_ids=["a"], features=b"\0" * 33), "not a multiple of the row size"),
        (risk_pb2.ScoreBatch(row_ids=["a"], features=b"\0" * 64), "2 rows of features for 1"),
        (
            risk_pb2.ScoreBatch(
                row_ids=["a", "b"],
                features=np.array([[0] * 8, [0] * 7 + [-np.inf]], "<f4").tobytes(),
            ),
            "row 'b': feature 'f7' is infinite",
        ),
        (
            risk_pb2.ScoreBatch(row_ids=["r"] * 100_001, features=b""),
            "over the limit of 100000",
        ),
    ],
)
def test_servicer_stream_refuses_bad_batches(
    stub: Any, batch: risk_pb2.ScoreBatch, message: str
) -> None:
    good = risk_pb2.ScoreBatch(row_ids=["ok"], features=np.zeros((1, 8), "<f4").tobytes())
    replies = stub.ScoreStream(iter([good, batch]), timeout=10)
    first = next(replies)
    assert list(first.row_ids) == ["ok"]
    with pytest.raises(grpc.RpcError) as caught:
        next(replies)
    assert caught.value.code() == Code.INVALID_ARGUMENT
    assert message in caught.value.details()


def test_servicer_counts_calls_in_metrics(stub: Any, served: Any) -> None:
    before = served.metrics_snapshot().get("Score", {}).get("calls", {}).get("OK", 0)
    stub.Score(_packed(ROW), timeout=5)
    after = served.metrics_snapshot()["Score"]
    assert after["calls"]["OK"] == before + 1
    assert after["p50_ms_le"] is not None


# -- hostile input: every case is the client's fault, answered INVALID_ARGUMENT (or NOT_FOUND)
# with a short message ----------------------------------------------------------------------

HUGE = "x" * 8_000_000


def _activity_with(**stamps: Any) -> risk_pb2.ScoreRequest:
    activity = risk_pb2.RawActivity(as_of={"seconds": 1_700_000_000})
    activity.transactions.add(category="groceries", channel="card", amount=-5.0)
    activity.payments.add(amount_due=10.0)
    for field, stamp in stamps.items():
        if field == "as_of":
            activity.as_of.CopyFrom(stamp)
        elif field == "transaction":
            activity.transactions[0].timestamp.CopyFrom(stamp)
        else:
            getattr(activity.payments[0], field).CopyFrom(stamp)
    return risk_pb2.ScoreRequest(customer_id="c1", activity=activity)


def _stamp(seconds: int, nanos: int = 0) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    return Timestamp(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [
        (
            _packed([*ROW[:7], 1e308]),
            Code.INVALID_ARGUMENT,
            "feature 'f7' = 1e+308 is out of range for float32",
        ),
        (
            risk_pb2.ScoreRequest(
                named=risk_pb2.NamedFeatures(
                    values={f"f{i}": -1e39 if i == 2 else 0.0 for i in range(8)}
                )
            ),
            Code.INVALID_ARGUMENT,
            "feature 'f2' = -1e+39 is out of range for float32",
        ),
        (
            risk_pb2.ScoreRequest(
                named=risk_pb2.NamedFeatures(values={**{f"f{i}": 0.0 for i in range(8)}, HUGE: 1})
            ),
            Code.INVALID_ARGUMENT,
            "unknown feature names: 'xxxxxxxxxx",
        ),
        (_packed(ROW, model_version=HUGE), Code.NOT_FOUND, "(8,000,000 characters) is not loaded"),
        (_activity_with(as_of=_stamp(2**40)), Code.INVALID_ARGUMENT, "as_of is out of range"),
        (_activity_with(as_of=_stamp(-62135596800)), Code.INVALID_ARGUMENT, "as_of is out of"),
        (
            _activity_with(transaction=_stamp(1_700_000_000, nanos=-1)),
            Code.INVALID_ARGUMENT,
            "transactions[0].timestamp is out of range",
        ),
        (
            _activity_with(paid_date=_stamp(-(2**62))),
            Code.INVALID_ARGUMENT,
            "payments[0].paid_date is out of range",
        ),
        (
            _activity_with(due_date=_stamp(253402300800 * 4)),
            Code.INVALID_ARGUMENT,
            "payments[0].due_date is out of range",
        ),
    ],
)
def test_servicer_refuses_hostile_input_with_short_messages(
    stub: Any, request_: risk_pb2.ScoreRequest, code: grpc.StatusCode, message: str
) -> None:
    for call, request in ((stub.Score, request_), (stub.Explain, _as_explain(request_))):
        error = _error(call, request)
        assert (error.code(), message in error.details()) == (code, True), error.details()
        assert len(error.details()) < 400


def _as_explain(request: risk_pb2.ScoreRequest) -> risk_pb2.ExplainRequest:
    explain = risk_pb2.ExplainRequest()
    explain.ParseFromString(request.SerializeToString())  # the same field numbers
    return explain


def test_servicer_stream_quotes_a_huge_row_id_short(stub: Any) -> None:
    x = np.zeros((2, 8), "<f4")
    x[1, 3] = np.inf
    batch = risk_pb2.ScoreBatch(row_ids=["a", HUGE], features=x.tobytes())
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.ScoreStream(iter([batch]), timeout=10))
    assert caught.value.code() == Code.INVALID_ARGUMENT
    assert "(8,000,000 characters): feature 'f3' is infinite" in caught.value.details()
    assert len(caught.value.details()) < 200


@pytest.mark.parametrize(
    ("method", "streaming"),
    [
        ("/pde.risk.v1.RiskScoring/Score", False),
        ("/pde.risk.v1.RiskScoring/Explain", False),
        ("/pde.risk.v1.RiskScoring/GetModelInfo", False),
        ("/pde.risk.v1.RiskScoring/ScoreStream", True),
        ("/grpc.health.v1.Health/Check", False),
    ],
)
def test_servicer_unparsable_bytes_are_invalid_argument(
    served: Any, method: str, streaming: bool
) -> None:
    garbage = b"\x0a\xff\xff\xff\xff\x0f" + bytes(range(256))  # a length past the end
    with (
        grpc.insecure_channel(f"127.0.0.1:{served.port}") as channel,
        pytest.raises(grpc.RpcError) as caught,
    ):
        if streaming:
            list(channel.stream_stream(method)(iter([garbage]), timeout=5))
        else:
            channel.unary_unary(method)(garbage, timeout=5)
    assert caught.value.code() == Code.INVALID_ARGUMENT
    assert "is not a valid" in caught.value.details()
    assert "message (262 bytes; DecodeError)" in caught.value.details()

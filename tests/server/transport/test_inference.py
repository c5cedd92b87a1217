"""The Open Inference Protocol on a real server on loopback: answers equal RiskScoring's, bad
input is INVALID_ARGUMENT / NOT_FOUND with a message, and the official client works."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest

from pde.risk.v1 import open_inference_pb2 as oip
from pde.risk.v1 import open_inference_pb2_grpc as oip_grpc
from pde.risk.v1 import risk_pb2, risk_pb2_grpc

Code = grpc.StatusCode
MODEL = "pde-risk"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def channel(served: Any) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{served.port}") as channel:
        yield channel


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> oip_grpc.GRPCInferenceServiceStub:
    return oip_grpc.GRPCInferenceServiceStub(channel)


def _rows(n: int, width: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, width)).astype(np.float32)
    rows[rng.random(rows.shape) < 0.1] = np.nan
    return rows


def _request(
    rows: np.ndarray, *, raw: bool = True, datatype: str = "FP32", **fields: Any
) -> oip.ModelInferRequest:
    fields.setdefault("model_name", MODEL)
    tensor = oip.ModelInferRequest.InferInputTensor(
        name="features", datatype=datatype, shape=list(rows.shape)
    )
    request = oip.ModelInferRequest(inputs=[tensor], **fields)
    if raw:
        request.raw_input_contents.append(rows.astype("<f4").tobytes())
    else:
        tensor = request.inputs[0]
        tensor.contents.fp32_contents.extend(rows.ravel().tolist())
    return request


def _outputs(reply: oip.ModelInferResponse) -> dict[str, np.ndarray]:
    dtypes = {"FP32": "<f4", "UINT8": "u1", "BOOL": "?"}
    found: dict[str, np.ndarray] = {}
    for index, tensor in enumerate(reply.outputs):
        if reply.raw_output_contents:
            data = reply.raw_output_contents[index]
            found[tensor.name] = np.frombuffer(data, dtype=dtypes[tensor.datatype])
        elif tensor.datatype == "FP32":
            found[tensor.name] = np.array(tensor.contents.fp32_contents, dtype="<f4")
        elif tensor.datatype == "UINT8":
            found[tensor.name] = np.array(tensor.contents.uint_contents, dtype="u1")
        else:
            found[tensor.name] = np.array(tensor.contents.bool_contents, dtype="?")
    return found


def _stream(channel: grpc.Channel, rows: np.ndarray) -> risk_pb2.ScoreBatchResult:
    stub = risk_pb2_grpc.RiskScoringStub(channel)
    batch = risk_pb2.ScoreBatch(
        row_ids=[f"r{i}" for i in range(len(rows))], features=rows.astype("<f4").tobytes()
    )
    (result,) = list(stub.ScoreStream(iter([batch]), timeout=10))
    return result


def _error(stub: Any, request: Any, method: str = "ModelInfer") -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        getattr(stub, method)(request, timeout=10)
    return caught.value  # type: ignore[return-value]


def test_inference_probes_and_metadata_name_the_bundle(stub: Any, served: Any) -> None:
    width = served.scorer.bundle().n_features
    assert stub.ServerLive(oip.ServerLiveRequest(), timeout=5).live
    assert stub.ServerReady(oip.ServerReadyRequest(), timeout=5).ready
    assert stub.ModelReady(oip.ModelReadyRequest(name=MODEL), timeout=5).ready
    assert stub.ModelReady(oip.ModelReadyRequest(name=MODEL, version="v1"), timeout=5).ready
    assert stub.ServerMetadata(oip.ServerMetadataRequest(), timeout=5).name == "pde-risk-engine"
    meta = stub.ModelMetadata(oip.ModelMetadataRequest(name=MODEL), timeout=5)
    assert (meta.name, list(meta.versions)) == (MODEL, ["v1"])
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.inputs] == [
        ("features", "FP32", [-1, width])
    ]
    assert [(t.name, t.datatype) for t in meta.outputs] == [
        ("probability", "FP32"),
        ("tier", "UINT8"),
        ("alert", "BOOL"),
    ]


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "typed"])
def test_inference_infer_equals_score_stream_and_score(
    stub: Any, channel: grpc.Channel, served: Any, raw: bool
) -> None:
    rows = _rows(12, served.scorer.bundle().n_features)
    reply = stub.ModelInfer(_request(rows, raw=raw, id="req-1"), timeout=10)
    assert (reply.model_name, reply.model_version, reply.id) == (MODEL, "v1", "req-1")
    assert bool(reply.raw_output_contents) == raw
    got = _outputs(reply)
    stream = _stream(channel, rows)
    assert got["probability"].tobytes() == stream.probabilities
    assert got["tier"].tobytes() == stream.tiers
    assert got["alert"].astype(np.uint8).tobytes() == stream.alerts
    score = risk_pb2_grpc.RiskScoringStub(channel).Score
    tiers = served.scorer.bundle().spec.tier_names
    for index in (0, 5, 11):
        one = score(
            risk_pb2.ScoreRequest(packed=risk_pb2.PackedFeatures(values=rows[index].tolist())),
            timeout=5,
        )
        assert got["probability"][index] == np.float32(one.probability)
        assert tiers[got["tier"][index]] == one.tier
        assert bool(got["alert"][index]) == one.alert


def test_inference_gives_only_the_requested_outputs(stub: Any, served: Any) -> None:
    request = _request(_rows(3, served.scorer.bundle().n_features))
    request.outputs.add(name="alert")
    reply = stub.ModelInfer(request, timeout=10)
    assert [t.name for t in reply.outputs] == ["alert"]
    assert len(reply.raw_output_contents) == 1


def _bad_requests(width: int) -> dict[str, tuple[oip.ModelInferRequest, grpc.StatusCode, str]]:
    rows = _rows(2, width)
    short = _request(rows)
    short.raw_input_contents[0] = short.raw_input_contents[0][:-4]
    wrong_shape = _request(rows)
    wrong_shape.inputs[0].shape[:] = [2, width + 1]
    flat = _request(rows)
    flat.inputs[0].shape[:] = [2 * width]
    negative = _request(rows)
    negative.inputs[0].shape[:] = [-2, width]
    huge = _request(rows)
    huge.inputs[0].shape[:] = [2**62, width]
    typed_short = _request(rows, raw=False)
    del typed_short.inputs[0].contents.fp32_contents[-1]
    two_raw = _request(rows)
    two_raw.raw_input_contents.append(b"")
    unknown_output = _request(rows)
    unknown_output.outputs.add(name="nope")
    no_input = oip.ModelInferRequest(model_name=MODEL)
    renamed = _request(rows)
    renamed.inputs[0].name = "x"
    infinite = rows.copy()
    infinite[1, 0] = np.inf
    invalid = Code.INVALID_ARGUMENT
    return {
        "short raw": (short, invalid, "bytes"),
        "wrong width": (wrong_shape, invalid, "shape"),
        "flat shape": (flat, invalid, "shape"),
        "negative rows": (negative, invalid, "shape"),
        "huge rows": (huge, invalid, "limit"),
        "short typed": (typed_short, invalid, "fp32_contents"),
        "two raw": (two_raw, invalid, "raw_input_contents"),
        "FP64": (_request(rows, datatype="FP64"), invalid, "datatype"),
        "unknown output": (unknown_output, invalid, "nope"),
        "no input": (no_input, invalid, "features"),
        "renamed input": (renamed, invalid, "features"),
        "infinite": (_request(infinite), invalid, "infinite"),
        "unknown model": (_request(rows, model_name="other"), Code.NOT_FOUND, "other"),
        "other version": (_request(rows, model_version="v9"), Code.NOT_FOUND, "v9"),
    }


@pytest.mark.parametrize("case", list(_bad_requests(8)), ids=lambda c: c.replace(" ", "-"))
def test_inference_bad_input_is_refused_with_a_message(stub: Any, served: Any, case: str) -> None:
    request, code, fragment = _bad_requests(served.scorer.bundle().n_features)[case]
    error = _error(stub, request)
    assert error.code() is code
    assert fragment in (error.details() or "")


def test_inference_metadata_of_another_model_is_not_found(stub: Any) -> None:
    for method, request in (
        ("ModelReady", oip.ModelReadyRequest(name="other")),
        ("ModelMetadata", oip.ModelMetadataRequest(name="other")),
        ("ModelMetadata", oip.ModelMetadataRequest(name=MODEL, version="v9")),
    ):
        assert _error(stub, request, method).code() is Code.NOT_FOUND


def test_inference_rows_over_the_batch_limit_are_refused(
    model_dir: Path, start_server: Any
) -> None:
    server = start_server(model_dir, max_batch_rows=4)
    try:
        server.load()
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = oip_grpc.GRPCInferenceServiceStub(channel)
            width = server.scorer.bundle().n_features
            assert len(_outputs(stub.ModelInfer(_request(_rows(4, width)), timeout=10))) == 3
            error = _error(stub, _request(_rows(5, width)))
            assert error.code() is Code.INVALID_ARGUMENT
            assert "limit of 4 rows" in (error.details() or "")
    finally:
        server.stop(grace=1)


def test_inference_before_load_is_live_not_ready(model_dir: Path, start_server: Any) -> None:
    server = start_server(model_dir)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = oip_grpc.GRPCInferenceServiceStub(channel)
            assert stub.ServerLive(oip.ServerLiveRequest(), timeout=5).live
            assert not stub.ServerReady(oip.ServerReadyRequest(), timeout=5).ready
            assert not stub.ModelReady(oip.ModelReadyRequest(name=MODEL), timeout=5).ready
            error = _error(stub, _request(_rows(1, 8)))
            assert error.code() is Code.FAILED_PRECONDITION
    finally:
        server.stop(grace=1)


def test_inference_probes_are_open_under_a_token(model_dir: Path, start_server: Any) -> None:
    server = start_server(model_dir, token="s3cret")
    try:
        server.load()
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = oip_grpc.GRPCInferenceServiceStub(channel)
            assert stub.ServerReady(oip.ServerReadyRequest(), timeout=5).ready
            width = server.scorer.bundle().n_features
            error = _error(stub, _request(_rows(1, width)))
            assert error.code() is Code.UNAUTHENTICATED
            auth = (("authorization", "Bearer s3cret"),)
            reply = stub.ModelInfer(_request(_rows(1, width)), timeout=10, metadata=auth)
            assert reply.model_version == "v1"
    finally:
        server.stop(grace=1)


def test_inference_official_tritonclient_gets_the_same_results(
    channel: grpc.Channel, served: Any, tmp_path: Path
) -> None:
    rows = _rows(25, served.scorer.bundle().n_features, seed=11)
    np.save(tmp_path / "rows.npy", rows)
    out = tmp_path / "out.npz"
    subprocess.run(
        [
            sys.executable,
            str(HERE / "triton_call.py"),
            str(served.port),
            str(tmp_path / "rows.npy"),
            str(out),
        ],
        check=True,
        timeout=120,
    )
    got = np.load(out)
    assert got["live"] and got["ready"] and got["model_ready"]
    assert str(got["server"]) == "pde-risk-engine"
    assert list(got["versions"]) == ["v1"] and str(got["version"]) == "v1"
    assert list(got["input_shape"]) == [-1, rows.shape[1]]
    assert str(got["unknown"]) == "StatusCode.NOT_FOUND"
    stream = _stream(channel, rows)
    assert got["probability"].astype("<f4").tobytes() == stream.probabilities
    assert got["tier"].astype("u1").tobytes() == stream.tiers
    assert got["alert"].astype(np.uint8).tobytes() == stream.alerts

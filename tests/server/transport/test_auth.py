"""Bearer-token auth and TLS on a real server."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from tests.conftest import skip_or_fail

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(model_dir: Path, start_server: Any) -> Iterator[Any]:
    server = start_server(model_dir, token=TOKEN)
    server.load()
    yield server
    server.stop(grace=1)


def _request() -> risk_pb2.ScoreRequest:
    return risk_pb2.ScoreRequest(customer_id="c", packed=risk_pb2.PackedFeatures(values=[0.0] * 8))


@pytest.mark.parametrize("metadata", [(), (("authorization", "Bearer wrong"),)])
def test_auth_refuses_calls_without_the_token(guarded: Any, metadata: Any) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        calls = [
            lambda: stub.Score(_request(), timeout=5, metadata=metadata),
            lambda: stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=5, metadata=metadata),
            lambda: stub.ReloadModel(risk_pb2.ReloadRequest(), timeout=5, metadata=metadata),
            lambda: list(
                stub.ScoreStream(
                    iter([risk_pb2.ScoreBatch(row_ids=["a"], features=b"\0" * 32)]),
                    timeout=5,
                    metadata=metadata,
                )
            ),
        ]
        for call in calls:
            with pytest.raises(grpc.RpcError) as caught:
                call()
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_auth_accepts_the_token_and_leaves_health_open(guarded: Any) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        metadata = (("authorization", f"Bearer {TOKEN}"),)
        reply, call = stub.Score.with_call(_request(), timeout=5, metadata=metadata)
        assert call.code() == grpc.StatusCode.OK
        assert reply.model_version == "v1"
        bundle = guarded.scorer.bundle()
        expected = bundle.score(np.zeros((1, 8), dtype=np.float32))
        assert reply.probability == pytest.approx(float(expected.probability[0]), abs=1e-6)
        assert reply.tier == bundle.manifest.tiers[int(expected.tier[0])].name
        info = stub.ReloadModel(risk_pb2.ReloadRequest(), timeout=30, metadata=metadata)
        assert info.version == "v1"
        health = health_pb2_grpc.HealthStub(channel)
        reply = health.Check(health_pb2.HealthCheckRequest(service="pde.risk.v1.RiskScoring"))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert guarded.metrics_snapshot()["Score"]["calls"] == {"OK": 1}


def test_auth_tls_serves_over_an_encrypted_channel(
    tmp_path: Path, model_dir: Path, start_server: Any
) -> None:
    if shutil.which("openssl") is None:
        skip_or_fail("the TLS test needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server = start_server(model_dir, tls_cert=cert, tls_key=key, address="localhost:0")
    server.load()
    try:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        with grpc.secure_channel(f"localhost:{server.port}", credentials) as channel:
            reply = risk_pb2_grpc.RiskScoringStub(channel).Score(_request(), timeout=5)
            assert 0 < reply.probability < 1
        with (
            grpc.insecure_channel(f"localhost:{server.port}") as plain,
            pytest.raises(grpc.RpcError),
        ):
            risk_pb2_grpc.RiskScoringStub(plain).Score(_request(), timeout=2)
    finally:
        server.stop(grace=1)
    assert np.isfinite(reply.probability)

"""A few thousand hostile messages to every RPC of a live server (RiskScoring, the Open
Inference Protocol, health): no crash, no INTERNAL.

The same fuzzer runs 100,000 messages as `pde bench fuzz`; this is its quick pass in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pde.bench.fuzz import run_fuzz

TOKEN = "fuzz-token"
MESSAGES = 3000


@pytest.fixture
def guarded(model_dir: Path, start_server: Any) -> Iterator[Any]:
    server = start_server(model_dir, token=TOKEN)
    server.load()
    yield server
    server.stop(grace=1)


@pytest.mark.slow
def test_fuzz_every_rpc_without_a_server_fault(guarded: Any) -> None:
    bundle = guarded.scorer.bundle()
    address = f"127.0.0.1:{guarded.port}"
    report = run_fuzz(
        address,
        count=MESSAGES,
        feature_names=bundle.spec.feature_names,
        version=bundle.version,
        token=TOKEN,
        seed=20,
    )
    assert report.failures == []
    assert report.ok
    assert report.sent == MESSAGES
    # every RPC was reached, and each answered both OK and refusals
    assert set(report.by_method) == {
        "Score", "Explain", "ScoreStream", "ExplainStream", "GetModelInfo", "ReloadModel", "Health",
        "ModelInfer", "ServerLive", "ServerReady", "ServerMetadata", "ModelReady", "ModelMetadata",
    }  # fmt: skip
    for method in ("Score", "Explain", "ScoreStream", "ExplainStream", "GetModelInfo", "Health",
                   "ModelInfer",
                   "ModelReady", "ModelMetadata"):  # fmt: skip
        assert report.by_method[method]["OK"] > 0, method
        assert report.by_method[method]["INVALID_ARGUMENT"] > 0, method
    assert report.by_method["ReloadModel"]["INVALID_ARGUMENT"] > 0
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="pde.risk.v1.RiskScoring"), timeout=5
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert "INTERNAL" not in guarded.metrics_snapshot().get("Score", {}).get("calls", {})

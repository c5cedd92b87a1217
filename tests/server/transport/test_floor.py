"""The floors of `pde bench grpc`: a do-nothing RiskScoring server in its own process answers
Score with its constant reply and health SERVING, and stops on SIGTERM; the model floor also
runs the bundle's merged graph on each row, so it refuses a row of the wrong width."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from pde.client.probe import probe
from pde.risk.v1 import risk_pb2, risk_pb2_grpc


@contextmanager
def _floor(*extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A floor process on a free port, SERVING; killed at the end if it is still running."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    address = f"127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "pde.bench.floor", address, "2", *extra])
    try:
        for _ in range(100):
            if probe(address, timeout=1):
                break
            if process.poll() is not None:
                pytest.fail(f"the floor exited with {process.returncode}")
        yield address, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_floor_answers_a_constant_and_stops_on_sigterm() -> None:
    with _floor() as (address, process), grpc.insecure_channel(address) as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        request = risk_pb2.ScoreRequest(packed=risk_pb2.PackedFeatures(values=[1.0, 2.0]))
        replies = {stub.Score(request, timeout=5).SerializeToString() for _ in range(3)}
        assert len(replies) == 1
        assert risk_pb2.ScoreResponse.FromString(replies.pop()).model_version == "floor"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_model_floor_runs_the_bundle_on_each_row(bundle_dir: Path) -> None:
    from pde.contracts.bundle import read_manifest

    width = len(read_manifest(bundle_dir, verify=False).feature_names)
    with _floor(str(bundle_dir)) as (address, process):
        with grpc.insecure_channel(address) as channel:
            stub = risk_pb2_grpc.RiskScoringStub(channel)
            row = risk_pb2.PackedFeatures(values=[0.5] * width)
            assert stub.Score(risk_pb2.ScoreRequest(packed=row), timeout=5).tier == "low"
            short = risk_pb2.PackedFeatures(values=[0.5] * (width - 1))
            with pytest.raises(grpc.RpcError) as refused:
                stub.Score(risk_pb2.ScoreRequest(packed=short), timeout=5)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert str(width) in (refused.value.details() or "")
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0

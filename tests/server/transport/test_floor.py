"""The floor of `pde bench grpc`: a do-nothing RiskScoring server in its own process answers
Score with its constant reply and health SERVING, and stops on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import grpc

from pde.client.probe import probe
from pde.risk.v1 import risk_pb2, risk_pb2_grpc


def test_floor_answers_a_constant_and_stops_on_sigterm() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    address = f"127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "pde.bench.floor", address, "2"])
    try:
        for _ in range(100):
            if probe(address, timeout=1):
                break
        with grpc.insecure_channel(address) as channel:
            stub = risk_pb2_grpc.RiskScoringStub(channel)
            request = risk_pb2.ScoreRequest(packed=risk_pb2.PackedFeatures(values=[1.0, 2.0]))
            replies = {stub.Score(request, timeout=5).SerializeToString() for _ in range(3)}
        assert len(replies) == 1
        assert risk_pb2.ScoreResponse.FromString(replies.pop()).model_version == "floor"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

"""Server lifecycle on loopback: health transitions, reload, deadlines, limits, signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pde.contracts.bundle import set_current
from pde.risk.v1 import risk_pb2, risk_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]
SERVICE = "pde.risk.v1.RiskScoring"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
TOKEN = "admin-token"
ADMIN = (("authorization", f"Bearer {TOKEN}"),)


def _health(channel: grpc.Channel, service: str = SERVICE) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2).status)


def _score(
    channel: grpc.Channel, metadata: tuple[tuple[str, str], ...] = (), **fields: Any
) -> risk_pb2.ScoreResponse:
    request = risk_pb2.ScoreRequest(
        customer_id="c", packed=risk_pb2.PackedFeatures(values=[0.0] * 8), **fields
    )
    return risk_pb2_grpc.RiskScoringStub(channel).Score(request, timeout=5, metadata=metadata)


def _batches(count: int, *, rows: int, pause: float = 0.0) -> Iterator[risk_pb2.ScoreBatch]:
    x = np.random.default_rng(0).normal(size=(rows, 8)).astype("<f4")
    for b in range(count):
        yield risk_pb2.ScoreBatch(row_ids=[f"{b}-{i}" for i in range(rows)], features=x.tobytes())
        time.sleep(pause)


def test_app_health_not_serving_until_loaded_and_after_shutdown_begins(
    model_dir: Path, start_server: Any
) -> None:
    server = start_server(model_dir, drain_seconds=1.0)
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        assert _health(channel) == NOT_SERVING
        assert _health(channel, "") == NOT_SERVING
        with pytest.raises(grpc.RpcError) as caught:
            _score(channel)
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        server.load()
        assert _health(channel) == SERVING
        assert _score(channel).model_version == "v1"
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        deadline = time.monotonic() + 1.0
        while _health(channel) == SERVING and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _health(channel) == NOT_SERVING
        stopper.join(10)
        with pytest.raises(grpc.RpcError) as caught:
            _score(channel)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_app_reload_swaps_good_bundle_and_refuses_bad_ones(
    model_dir: Path, bundle_dir: Path, bundle_tools: ModuleType, start_server: Any
) -> None:
    server = start_server(model_dir, token=TOKEN)
    server.load()
    bundle_tools.copy_as(bundle_dir, model_dir, "v2")
    bundle_tools.corrupt(bundle_dir, model_dir, "corrupt")
    bundle_tools.break_parity(bundle_dir, model_dir, "unfaithful")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = risk_pb2_grpc.RiskScoringStub(channel)
            for version, message in (
                ("corrupt", "sha256"),
                ("unfaithful", "disagrees with its native model"),
            ):
                with pytest.raises(grpc.RpcError) as caught:
                    stub.ReloadModel(
                        risk_pb2.ReloadRequest(bundle_path=version), timeout=30, metadata=ADMIN
                    )
                assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
                assert "still serving v1" in caught.value.details()
                assert message in caught.value.details()
                assert _score(channel, metadata=ADMIN).model_version == "v1"
            with pytest.raises(grpc.RpcError) as caught:
                stub.ReloadModel(
                    risk_pb2.ReloadRequest(bundle_path="/etc"), timeout=5, metadata=ADMIN
                )
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            info = stub.ReloadModel(
                risk_pb2.ReloadRequest(bundle_path="v2"), timeout=30, metadata=ADMIN
            )
            assert info.version == "v2"
            assert _score(channel, model_version="v2", metadata=ADMIN).model_version == "v2"
            with pytest.raises(grpc.RpcError) as caught:
                _score(channel, model_version="v1", metadata=ADMIN)
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        server.stop(grace=1)


def test_app_deadline_and_message_limit(model_dir: Path, start_server: Any) -> None:
    server = start_server(model_dir, max_message_mb=1)
    server.load()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = risk_pb2_grpc.RiskScoringStub(channel)
            with pytest.raises(grpc.RpcError) as caught:
                list(stub.ScoreStream(_batches(50, rows=10, pause=0.05), timeout=0.5))
            assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            with pytest.raises(grpc.RpcError) as caught:
                list(stub.ScoreStream(_batches(1, rows=40_000), timeout=5))
            assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert _score(channel).model_version == "v1"
    finally:
        server.stop(grace=1)


# -- `pde serve` as a process: signals ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve_process(model_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    address = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "PDE_MODEL_DIR": str(model_dir), "PDE_GRPC_ADDRESS": address}
    process = subprocess.Popen(
        [sys.executable, "-m", "pde.cli.main", "serve", "--drain", "0.2", "--grace", "10"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with grpc.insecure_channel(address) as channel:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _health(channel) == SERVING:
                    break
            except grpc.RpcError:
                pass
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "server never became SERVING"
            time.sleep(0.1)
    yield process, address
    if process.poll() is None:
        process.kill()
        process.wait()


def test_app_sigterm_lets_a_running_stream_finish(
    serve_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, address = serve_process
    with grpc.insecure_channel(address) as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        replies = stub.ScoreStream(_batches(20, rows=2_000, pause=0.05), timeout=30)
        rows = len(next(replies).row_ids)
        process.send_signal(signal.SIGTERM)
        rows += sum(len(r.row_ids) for r in replies)
        assert rows == 40_000
        time.sleep(0.5)
        with pytest.raises(grpc.RpcError) as caught:
            _score(channel)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "received SIGTERM" in output
    assert "ScoreStream calls={'OK': 1} rows=40000" in output


def test_app_sighup_reloads_current_and_keeps_serving_on_a_bad_bundle(
    serve_process: tuple[subprocess.Popen[str], str],
    model_dir: Path,
    bundle_dir: Path,
    bundle_tools: ModuleType,
) -> None:
    process, address = serve_process
    with grpc.insecure_channel(address) as channel:
        bundle_tools.corrupt(bundle_dir, model_dir, "corrupt")
        set_current(model_dir, "corrupt")
        process.send_signal(signal.SIGHUP)
        bundle_tools.copy_as(bundle_dir, model_dir, "v2")
        time.sleep(1.0)
        assert _score(channel).model_version == "v1"
        set_current(model_dir, "v2")
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while _score(channel).model_version != "v2":
            assert time.monotonic() < deadline, "SIGHUP did not load v2"
            time.sleep(0.1)
        assert _health(channel) == SERVING
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert "reload refused (still serving v1)" in output


def test_app_score_has_threads_of_its_own_that_a_stream_never_holds(
    model_dir: Path, start_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pde.core.settings import Settings
    from pde.server.transport.options import ServerOptions

    settings = Settings(model_dir=model_dir, grpc_score_threads=3)
    assert ServerOptions.from_settings(settings).score_threads == 3
    server = start_server(model_dir, score_threads=1, handler_threads=1)
    server.load()
    threads: list[str] = []
    score_one = server.scorer.score_one

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return score_one(*args, **kwargs)

    monkeypatch.setattr(server.scorer, "score_one", recorded)
    release = threading.Event()

    def held() -> Iterator[risk_pb2.ScoreBatch]:
        yield from _batches(1, rows=2)
        release.wait(20)  # the stream stays open, its handler thread waiting

    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stream = risk_pb2_grpc.RiskScoringStub(channel).ScoreStream(held(), timeout=30)
            assert len(next(stream).row_ids) == 2  # the only handler thread is the stream's
            scores = [_score(channel, top_reasons=1).probability for _ in range(3)]
            release.set()
            assert sum(len(result.row_ids) for result in stream) == 0
    finally:
        release.set()
        server.stop(grace=1)
    assert len(set(scores)) == 1
    assert threads == ["pde-score-call_0"] * 3


def test_app_a_stream_the_client_cancels_is_counted_cancelled_not_failed(
    model_dir: Path, start_server: Any
) -> None:
    server = start_server(model_dir)
    server.load()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stream = risk_pb2_grpc.RiskScoringStub(channel).ScoreStream(
                _batches(50, rows=2, pause=0.2), timeout=30
            )
            assert len(next(stream).row_ids) == 2
            stream.cancel()
        deadline = time.monotonic() + 10
        calls: dict[str, int] = {}
        while time.monotonic() < deadline and not calls:
            calls = server.metrics_snapshot().get("ScoreStream", {}).get("calls", {})
            time.sleep(0.05)
    finally:
        server.stop(grace=1)
    assert calls == {"CANCELLED": 1}

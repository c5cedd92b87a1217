"""`pde serve --processes 2`: two server processes on one port both answer, health is SERVING,
and SIGTERM stops both cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pde.risk.v1 import risk_pb2, risk_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
CONNECTIONS = 24


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


ESTABLISHED, LISTEN = "01", "0A"


def _sockets(pid: int, port: int, state: str = ESTABLISHED) -> int:
    """Sockets of process `pid` on local `port` in `state` (by default the connections it has
    accepted; looked up in /proc/net/tcp by inode)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with_target = os.readlink(fd) if fd.is_symlink() else ""
        if with_target.startswith("socket:["):
            inodes.add(with_target[8:-1])
    count = 0
    lines = [
        line
        for table in ("/proc/net/tcp", "/proc/net/tcp6")  # gRPC listens dual-stack
        for line in Path(table).read_text().splitlines()[1:]
    ]
    for line in lines:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state and fields[9] in inodes:
            count += 1
    return count


@pytest.fixture
def two_processes(model_dir: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    env = {**os.environ, "PDE_MODEL_DIR": str(model_dir), "PDE_GRPC_ADDRESS": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pde.cli.main", "serve", "--processes", "2", "--drain", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process, port
    if process.poll() is None:
        process.kill()  # its workers get SIGTERM from the kernel (PR_SET_PDEATHSIG)
    process.communicate(timeout=30)


def _wait_serving(process: subprocess.Popen[str], port: int) -> None:
    # each worker loads its bundle before it listens, so a listening worker is a loaded one
    deadline = time.monotonic() + 90
    while (
        len(workers := _children(process.pid)) < 2
        or not all(_sockets(pid, port, LISTEN) for pid in workers)
        or any(_health(port) != SERVING for _ in range(CONNECTIONS // 4))
    ):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the processes never became SERVING"
        time.sleep(0.2)


def _channel(port: int) -> grpc.Channel:
    # a channel of its own (not a shared subchannel): a new connection, which the kernel
    # hands to one of the processes
    return grpc.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
    )


def _health(port: int) -> int:
    try:
        with _channel(port) as channel:
            request = health_pb2.HealthCheckRequest(service="pde.risk.v1.RiskScoring")
            return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=2).status)
    except grpc.RpcError:
        return -1


@pytest.mark.slow
def test_processes_both_answer_and_stop_on_sigterm(
    two_processes: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = two_processes
    _wait_serving(process, port)
    workers = _children(process.pid)
    assert len(workers) == 2
    channels = [_channel(port) for _ in range(CONNECTIONS)]
    try:
        versions = set()
        for channel in channels:
            stub = risk_pb2_grpc.RiskScoringStub(channel)
            info = stub.GetModelInfo(risk_pb2.ModelInfoRequest(), timeout=10)
            row = risk_pb2.PackedFeatures(values=[0.1] * len(info.feature_names))
            versions.add(stub.Score(risk_pb2.ScoreRequest(packed=row), timeout=10).model_version)
        assert versions == {"v1"}
        # the kernel spread the connections: each process holds some of them
        accepted = {pid: _sockets(pid, port) for pid in workers}
        assert all(count > 0 for count in accepted.values()), accepted
        assert sum(accepted.values()) == CONNECTIONS
    finally:
        for channel in channels:
            channel.close()
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "exit codes [0, 0]" in output
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()

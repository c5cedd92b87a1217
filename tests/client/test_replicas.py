"""Replicas: one client over two real `pde serve` processes, balanced round robin; one killed
(SIGKILL) mid-run, the batch still finishes with every row scored exactly once."""

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

import numpy as np
import polars as pl
import pytest

from pde.client import RiskClient
from pde.client.failover import score_exactly_once
from pde.client.probe import probe
from pde.core.addresses import AddressError, grpc_target

ROOT = Path(__file__).resolve().parents[2]
STREAMS = 2
ROWS = 60_000  # per stream
CHUNK = 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def replicas(
    model_dir: Path, bundle_dir: Path, bundle_tools: ModuleType, tmp_path_factory: Any
) -> Iterator[list[tuple[subprocess.Popen[str], str]]]:
    """Two `pde serve` processes: the same bundle, served as v1 by the first and v2 by the
    second (so that an answer tells which replica gave it)."""
    from pde.contracts.bundle import set_current

    second = tmp_path_factory.mktemp("replica2")
    bundle_tools.copy_as(bundle_dir, second, "v2")
    set_current(second, "v2")
    started = []
    for directory in (model_dir, second):
        address = f"127.0.0.1:{_free_port()}"
        env = {**os.environ, "PDE_MODEL_DIR": str(directory), "PDE_GRPC_ADDRESS": address}
        process = subprocess.Popen(
            [sys.executable, "-m", "pde.cli.main", "serve", "--drain", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started.append((process, address))
    deadline = time.monotonic() + 60
    for process, address in started:
        while not probe(address, timeout=1.0):
            assert process.poll() is None, f"the server at {address} exited"
            assert time.monotonic() < deadline, f"the server at {address} never became SERVING"
            time.sleep(0.1)
    yield started
    for process, _ in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_replicas_targets() -> None:
    assert grpc_target("127.0.0.1:1,127.0.0.2:2") == "ipv4:127.0.0.1:1,127.0.0.2:2"
    assert grpc_target("[::1]:1,[::1]:2") == "ipv6:[::1]:1,[::1]:2"
    assert grpc_target("scoring:50051") == "scoring:50051"  # DNS: every address of the name
    assert grpc_target("dns:///scoring:50051") == "dns:///scoring:50051"
    for bad in ("scoring-1:1,scoring-2:1", "127.0.0.1:1,[::1]:1", "127.0.0.1", "dns:///x"):
        with pytest.raises(AddressError):
            grpc_target(bad)


def test_replicas_a_killed_replica_loses_no_row(
    replicas: list[tuple[subprocess.Popen[str], str]],
) -> None:
    address = ",".join(address for _, address in replicas)
    rng = np.random.default_rng(3)
    with RiskClient(address, stream_timeout=120) as client:
        names = client.model_info().feature_names
        # round robin: calls go to both replicas (both connected before the streams start)
        seen = [client.model_info().version for _ in range(8)]
        assert set(seen) == {"v1", "v2"}, seen
        frames = [
            pl.DataFrame(
                {
                    "id": [f"s{s}-{i:06d}" for i in range(ROWS)],
                    **{name: rng.normal(size=ROWS) for name in names},
                }
            )
            for s in range(STREAMS)
        ]
        started = [threading.Event() for _ in range(STREAMS)]
        resumed: list[int] = []
        got: list[list[str]] = [[] for _ in range(STREAMS)]
        versions: list[list[str]] = [[] for _ in range(STREAMS)]
        errors: list[BaseException] = []

        def consume(s: int) -> None:
            try:
                rows = score_exactly_once(
                    client,
                    frames[s],
                    id_column="id",
                    chunk_rows=CHUNK,
                    on_resume=lambda done, _: resumed.append(done),
                )
                for n, row in enumerate(rows):
                    got[s].append(row.row_id)
                    versions[s].append(row.model_version)
                    assert 0.0 <= row.probability <= 1.0
                    if n == CHUNK:
                        started[s].set()
                    if n % CHUNK == 0:
                        time.sleep(0.002)  # a consumer slower than the server: streams stay open
            except BaseException as exc:
                errors.append(exc)
                started[s].set()

        threads = [threading.Thread(target=consume, args=(s,)) for s in range(STREAMS)]
        for thread in threads:
            thread.start()
        for event in started:
            assert event.wait(60)
        # mid-run, both streams open: kill the replica that serves the first one
        killed = versions[0][0]
        replicas[["v1", "v2"].index(killed)][0].send_signal(signal.SIGKILL)
        for thread in threads:
            thread.join(120)
    assert not errors, errors
    for s in range(STREAMS):
        assert got[s] == frames[s]["id"].to_list()  # every row once, in order
    # each stream on the killed replica resumed mid-run on the other one
    survivor = "v2" if killed == "v1" else "v1"
    assert resumed and all(0 < done < ROWS for done in resumed)
    for s in range(STREAMS):
        if versions[s][0] == killed:
            switch = versions[s].index(survivor)
            assert set(versions[s][:switch]) == {killed}
            assert set(versions[s][switch:]) == {survivor}
            assert switch in resumed
        else:
            assert set(versions[s]) == {survivor}
    assert len(resumed) == sum(1 for s in range(STREAMS) if versions[s][0] == killed)


def test_replicas_a_server_refuses_to_bind_a_list() -> None:
    env = {**os.environ, "PDE_GRPC_ADDRESS": "127.0.0.1:1,127.0.0.1:2", "COLUMNS": "300"}
    done = subprocess.run(
        [sys.executable, "-m", "pde.cli.main", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "a server binds one host:port" in done.stderr

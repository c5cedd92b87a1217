"""A `pde serve` process for the benchmarks that need a live server: start, wait, measure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

START_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def start_server(
    model_dir: Path,
    address: str,
    *,
    token: str | None = None,
    log: IO[bytes] | None = None,
    log_level: str = "INFO",
) -> subprocess.Popen[bytes]:
    """`pde serve` on the `current` bundle of model_dir; its output goes to `log`."""
    env = {
        **os.environ,
        "PDE_MODEL_DIR": str(model_dir),
        "PDE_GRPC_ADDRESS": address,
        "PDE_LOG_LEVEL": log_level,
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    env.pop("PDE_GRPC_TOKEN", None)
    if token:
        env["PDE_GRPC_TOKEN"] = token
    command = [sys.executable, "-m", "pde.cli.main", "serve", "--drain", "0"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT if log else None)


def wait_serving(address: str, process: subprocess.Popen[Any]) -> None:
    """Returns once the server reports SERVING; raises when it exits or takes too long."""
    from pde.client.probe import probe

    deadline = time.monotonic() + START_SECONDS
    while not probe(address, timeout=1):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before serving")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not become SERVING in {START_SECONDS:.0f} s")
        time.sleep(0.2)


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` now, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used so far, in seconds (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

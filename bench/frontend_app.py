"""The app process `pde bench frontend` drives: started on a seeded database, waited for,
its shared cache cleared, its CPU time read."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH_SECRET = "a bench secret key of more than thirty-two characters"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_app(
    db: Path, *, workers: int, redis_url: str | None, port: int, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PDE_DATABASE_URL": f"sqlite:///{db}",
        "PDE_FRONTEND_PORT": str(port),
        "PDE_SECRET_KEY": BENCH_SECRET,
        "PDE_GRPC_ADDRESS": "127.0.0.1:9",  # no scoring service: the app says so and goes on
        "PDE_LOG_LEVEL": "WARNING",
    }
    env.pop("PDE_REDIS_URL", None)
    if redis_url:
        env["PDE_REDIS_URL"] = redis_url
    command = [sys.executable, "-m", "pde.cli.main", "frontend", "--workers", str(workers)]
    with log.open("wb") as out:  # the child keeps its own handle
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(base: str, child: subprocess.Popen[bytes], seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the app exited with code {child.returncode}")
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the app did not start")


def clear_shared_cache(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("pde:cache:*"):
        client.delete(key)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the process `pid` and its children so far (Linux)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    for each in [pid, *(int(p) for p in found.stdout.split())]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total

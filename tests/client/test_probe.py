"""`python -m pde.client.probe` against real servers on loopback: TLS, not loaded, nothing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pde.client.probe import EXIT_NOT_SERVING, EXIT_SERVING, EXIT_UNREACHABLE, probe

TOKEN = "probe-token"


def _run_probe(address: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PDE_")}
    return subprocess.run(
        [sys.executable, "-m", "pde.client.probe", "--timeout", "3"],
        env={**clean, "PDE_GRPC_ADDRESS": address, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_probe_serving_over_tls_with_the_client_settings(
    model_dir: Path, start_server: Any, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server = start_server(model_dir, tls_cert=cert, tls_key=key, token=TOKEN, address="localhost:0")
    server.load()
    try:
        address = f"localhost:{server.port}"
        done = _run_probe(address, PDE_GRPC_TLS_CERT=str(cert), PDE_GRPC_TOKEN=TOKEN)
        assert done.returncode == EXIT_SERVING, done.stdout + done.stderr
        assert done.stdout.strip() == f"SERVING {address}"
        # The same server through a plaintext channel does not answer the probe.
        plain = _run_probe(address)
        assert plain.returncode == EXIT_UNREACHABLE, plain.stdout + plain.stderr
    finally:
        server.stop(grace=1)


def test_probe_unreachable_when_nothing_listens() -> None:
    address = f"127.0.0.1:{_free_port()}"
    done = _run_probe(address)
    assert done.returncode == EXIT_UNREACHABLE
    assert done.stdout.startswith(f"UNREACHABLE {address}")
    assert probe(address, timeout=1) is False


def test_probe_not_serving_until_the_model_is_loaded(model_dir: Path, start_server: Any) -> None:
    server = start_server(model_dir)
    try:
        address = f"127.0.0.1:{server.port}"
        done = _run_probe(address)
        assert done.returncode == EXIT_NOT_SERVING
        assert done.stdout.startswith(f"NOT_SERVING {address}")
        assert probe(address) is False
        server.load()
        done = _run_probe(address)
        assert (done.returncode, done.stdout.strip()) == (EXIT_SERVING, f"SERVING {address}")
        assert probe(address) is True
    finally:
        server.stop(grace=1)

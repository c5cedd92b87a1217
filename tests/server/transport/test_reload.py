"""ReloadModel on a real server: closed without a token, bad paths refused, and bundles whose
native model files crash their libraries refused while the old bundle keeps serving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest

from pde.contracts.bundle import MANIFEST, sha256_file
from pde.risk.v1 import risk_pb2, risk_pb2_grpc

TOKEN = "reload-token"
ADMIN = (("authorization", f"Bearer {TOKEN}"),)
Code = grpc.StatusCode
NATIVE_FILES = {"lightgbm": "lightgbm.txt", "xgboost": "xgboost.json", "catboost": "catboost.cbm"}


def _score(stub: Any, metadata: Any = ADMIN) -> str:
    request = risk_pb2.ScoreRequest(
        customer_id="c", packed=risk_pb2.PackedFeatures(values=[0.0] * 8)
    )
    return str(stub.Score(request, timeout=5, metadata=metadata).model_version)


def _reload_error(stub: Any, path: str, *, metadata: Any = ADMIN) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        stub.ReloadModel(risk_pb2.ReloadRequest(bundle_path=path), timeout=60, metadata=metadata)
    return caught.value  # type: ignore[return-value]


def truncated(
    tools: ModuleType, source: Path, model_dir: Path, *, model: str, fraction: float
) -> str:
    """A copy of the bundle whose native `model` file is cut at `fraction` of its length, its
    sha256 in the manifest rewritten to match (so only loading the file can tell)."""
    version = f"{model}-cut-{int(fraction * 1000)}"
    target = tools.copy_as(source, model_dir, version)
    path = target / NATIVE_FILES[model]
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["models"][model]["native_file"] == path.name
    manifest["models"][model]["native_sha256"] = sha256_file(path)
    (target / MANIFEST).write_text(json.dumps(manifest))
    return version


@pytest.fixture
def guarded(model_dir: Path, start_server: Any) -> Iterator[tuple[Any, Any]]:
    server = start_server(model_dir, token=TOKEN)
    server.load()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield server, risk_pb2_grpc.RiskScoringStub(channel)
    server.stop(grace=1)


def test_reload_refused_without_a_configured_token(
    model_dir: Path, start_server: Any, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    bundle_tools.copy_as(bundle_dir, model_dir, "v2")
    server = start_server(model_dir)
    server.load()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = risk_pb2_grpc.RiskScoringStub(channel)
            for metadata in ((), ADMIN):
                error = _reload_error(stub, "v2", metadata=metadata)
                assert error.code() == Code.PERMISSION_DENIED
                assert "ReloadModel is disabled: this server has no token" in error.details()
                assert "PDE_GRPC_TOKEN" in error.details()
            assert _score(stub, metadata=()) == "v1"  # scoring stays open
    finally:
        server.stop(grace=1)
    assert server.scorer.bundle().version == "v1"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("v1\0/x", "contains a NUL byte"),
        ("a" * 5000, "is longer than 1024 characters"),
        ("v1/" + MANIFEST, "is not a directory"),
        ("no-such-bundle", "is not a directory"),
        ("../../../../etc", "is outside the model directory"),
        (".", "is not a model bundle (no manifest.json)"),
        ("y" * 300, "cannot be used"),
    ],
)
def test_reload_bad_paths_are_invalid_argument_with_short_messages(
    guarded: tuple[Any, Any], path: str, message: str
) -> None:
    _, stub = guarded
    error = _reload_error(stub, path)
    assert error.code() == Code.INVALID_ARGUMENT
    assert message in error.details()
    assert len(error.details()) < 200
    assert _score(stub) == "v1"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "fractions"),
    [("lightgbm", (0.1, 0.5, 0.95)), ("xgboost", (0.02, 0.5, 0.98)), ("catboost", (0.05, 0.6))],
)
def test_reload_refuses_truncated_native_files_and_keeps_serving(
    guarded: tuple[Any, Any],
    model_dir: Path,
    bundle_dir: Path,
    bundle_tools: ModuleType,
    model: str,
    fractions: tuple[float, ...],
) -> None:
    server, stub = guarded
    for fraction in fractions:
        version = truncated(bundle_tools, bundle_dir, model_dir, model=model, fraction=fraction)
        error = _reload_error(stub, version)
        assert error.code() == Code.FAILED_PRECONDITION, error.details()
        assert "reload refused, still serving v1" in error.details()
        assert version in error.details()
        assert _score(stub) == "v1"
    assert server.scorer.bundle().version == "v1"
    assert stub.ReloadModel(risk_pb2.ReloadRequest(), timeout=60, metadata=ADMIN).version == "v1"

"""Fixtures of the server tests: a real bundle and a real server on a loopback port."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = Path(__file__).resolve().parent


def load_helper(name: str) -> ModuleType:
    """Imports tests/server/<name>.py (tests are not a package under importlib mode)."""
    key = f"pde_test_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


bundles = load_helper("bundles")


@pytest.fixture(scope="session")
def bundle_tools() -> ModuleType:
    """tests/server/bundles.py: building and spoiling bundles."""
    return bundles


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick bundle trained once per session by the real pipeline (read-only for tests)."""
    root = tmp_path_factory.getbasetemp() / "pde-bundle"
    if not root.exists():
        bundles.build(root)
    from pde.contracts.bundle import current_bundle_dir

    return current_bundle_dir(root)


@pytest.fixture
def model_dir(tmp_path: Path, bundle_dir: Path) -> Path:
    """A fresh model dir whose `current` is a copy of the session bundle named v1."""
    from pde.contracts.bundle import set_current

    bundles.copy_as(bundle_dir, tmp_path, "v1")
    set_current(tmp_path, "v1")
    return tmp_path


def _start_server(model_dir: Path, **options: object) -> object:
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions

    values: dict[str, object] = {"address": "127.0.0.1:0", "model_dir": model_dir}
    values.update({"drain_seconds": 0.0, "grace_seconds": 5.0, **options})
    server = ScoringServer(ServerOptions(**values))  # type: ignore[arg-type]
    server.start()
    return server


@pytest.fixture(scope="session")
def start_server() -> Any:
    """start_server(model_dir, **ServerOptions) -> a started ScoringServer (not loaded)."""
    return _start_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, bundle_dir: Path) -> Iterator[object]:
    """A loaded server without auth, shared by a test module."""
    from pde.contracts.bundle import set_current

    root = tmp_path_factory.mktemp("served")
    bundles.copy_as(bundle_dir, root, "v1")
    set_current(root, "v1")
    server = _start_server(root)
    server.load()  # type: ignore[attr-defined]
    yield server
    server.stop(grace=1)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def treated_bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick bundle with uplift models, trained once per session on a simulated treated
    history (read-only for tests)."""
    root = tmp_path_factory.getbasetemp() / "pde-treated-bundle"
    if not root.exists():
        bundles.build_treated(root)
    from pde.contracts.bundle import current_bundle_dir

    return current_bundle_dir(root)

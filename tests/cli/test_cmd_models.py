"""`pde models list` and `pde models promote` through the real CLI entry point: a real bundle
(trained by the pipeline), a migrated SQLite database and a real scoring server on loopback."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from pde.cli.main import main
from pde.contracts.bundle import current_bundle_dir, read_manifest, set_current
from pde.core.settings import get_settings
from pde.db import engine as engine_module
from pde.db import migrate

SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"
TOKEN = "cli-token"


def _bundle_tools() -> ModuleType:
    """tests/server/bundles.py (tests are not a package under importlib mode)."""
    key = "pde_test_bundles"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, SERVER_TESTS / "bundles.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@dataclass(frozen=True)
class Deployment:
    model_dir: Path
    database: Path
    server: Any  # the ScoringServer serving model_dir


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick bundle, trained once for the module (read-only)."""
    root = tmp_path_factory.mktemp("trained")
    return _bundle_tools().build(root)


@pytest.fixture
def deployment(
    tmp_path: Path, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    """Bundles v1 (current, served) and v2 under a fresh model dir, an empty migrated
    database, and the CLI's settings pointing at all three."""
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions

    tools = _bundle_tools()
    model_dir = tmp_path / "models"
    for version in ("v1", "v2"):
        tools.copy_as(trained, model_dir, version)
    set_current(model_dir, "v1")
    database = tmp_path / "pde.db"
    migrate.upgrade(engine=sa.create_engine(f"sqlite:///{database}"))
    server = ScoringServer(
        ServerOptions(
            address="127.0.0.1:0",
            model_dir=model_dir,
            drain_seconds=0.0,
            grace_seconds=2.0,
            token=TOKEN,
        )
    )
    port = server.start()
    server.load()
    monkeypatch.setenv("PDE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("PDE_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("PDE_GRPC_ADDRESS", f"127.0.0.1:{port}")
    monkeypatch.setenv("PDE_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("PDE_GRPC_TOKEN", TOKEN)  # reloading needs the admin token
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
    yield Deployment(model_dir, database, server)
    engine_module.get_engine().dispose()
    engine_module.get_engine.cache_clear()
    get_settings.cache_clear()
    server.stop(grace=1)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["models", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _table_rows(out: str) -> list[list[str]]:
    """The cells of each row of a table printed by rich (header first)."""
    return [
        [cell.strip() for cell in line.strip()[1:-1].replace("┃", "│").split("│")]
        for line in out.splitlines()
        if line.startswith(("│", "┃"))
    ]


def _registry(database: Path) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(sa.text("SELECT version, status FROM model_versions")).all()
        )
        audit = connection.execute(
            sa.text("SELECT actor, action, entity_id FROM action_audit_log ORDER BY id")
        ).all()
    engine.dispose()
    return {str(v): str(s) for v, s in statuses.items()}, [tuple(map(str, a)) for a in audit]


def test_cli_models_list_shows_bundles_registry_and_pointer(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "list")
    assert (code, err) == (0, "")
    manifest = read_manifest(deployment.model_dir / "v1")
    created, auc = f"{manifest.created_at:%Y-%m-%d %H:%M}", manifest.metrics["ensemble"]["auc"]
    assert _table_rows(out) == [
        ["version", "created", "AUC", "registry", "current"],
        ["v1", created, f"{auc:.4f}", "not registered", "current"],
        ["v2", created, f"{auc:.4f}", "not registered", ""],
    ]
    assert run(capsys, "promote", "v2", "--no-reload")[0] == 0
    assert [row[3:] for row in _table_rows(run(capsys, "list")[1])[1:]] == [
        ["not registered", ""],
        ["champion", "current"],
    ]


def test_cli_models_promote_moves_pointer_registry_audit_and_server(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "promote", "v2")
    address = get_settings().grpc_address
    auc = read_manifest(deployment.model_dir / "v2").metrics["ensemble"]["auc"]
    gate = f"  gate: held_out_auc: challenger {auc:.4f}, champion {auc:.4f} (ok)\n"
    assert (code, err) == (0, "")
    assert out == (
        gate + "v2 is the champion and the current bundle (was v1)\n"
        f"the scoring server at {address} serves v2\n"
    )
    assert current_bundle_dir(deployment.model_dir).name == "v2"
    assert deployment.server.scorer.bundle().version == "v2"
    statuses, audit = _registry(deployment.database)
    assert statuses == {"v2": "champion"}
    assert audit == [
        ("system:cli", "model_version.register", "v2"),
        ("system:cli", "model_version.set_status", "v2"),
        ("system:cli", "model_version.promote", "v2"),
    ]
    # Promoting v1 back retires v2; the list shows both in the registry.
    assert run(capsys, "promote", "v1", "--no-reload")[:2] == (
        0,
        gate + "v1 is the champion and the current bundle (was v2)\n",
    )
    assert deployment.server.scorer.bundle().version == "v2"  # not asked to reload
    assert _registry(deployment.database)[0] == {"v1": "champion", "v2": "retired"}


def test_cli_models_promote_refuses_a_corrupt_bundle_and_changes_nothing(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    _bundle_tools().corrupt(deployment.model_dir / "v1", deployment.model_dir, "v3")
    code, out, err = run(capsys, "promote", "v3")
    assert (code, out) == (1, "")
    assert "v3: xgboost file xgboost.onnx fails its sha256 check" in " ".join(err.split())
    assert current_bundle_dir(deployment.model_dir).name == "v1"
    assert _registry(deployment.database) == ({}, [])


def test_cli_models_promote_refuses_a_weaker_bundle_unless_forced_with_a_reason(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from pde.contracts.bundle import MANIFEST

    weak = deployment.model_dir / "v2" / MANIFEST
    manifest = json.loads(weak.read_text())
    champion_auc = manifest["metrics"]["ensemble"]["auc"]
    manifest["metrics"]["ensemble"]["auc"] = champion_auc - 0.05
    weak.write_text(json.dumps(manifest))
    code, out, err = run(capsys, "promote", "v2", "--no-reload")
    assert (code, out) == (1, "")
    assert "v2 is worse than the champion v1: held_out_auc" in " ".join(err.split())
    assert "--force REASON" in " ".join(err.split())
    assert current_bundle_dir(deployment.model_dir).name == "v1"
    assert _registry(deployment.database) == ({}, [])

    code, out, err = run(capsys, "promote", "v2", "--no-reload", "--force", "audit test")
    assert (code, err) == (0, "")
    assert "forced past the gate: audit test (audited)" in out
    assert current_bundle_dir(deployment.model_dir).name == "v2"
    statuses, audit = _registry(deployment.database)
    assert statuses == {"v2": "champion"}
    assert audit[-1] == ("system:cli", "model_version.promote_forced", "v2")

"""compose.yaml and the Dockerfiles cannot be built here (no Docker engine): they are checked
against the CLI, the settings and pyproject.toml as they are now."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pde.core.addresses import grpc_target
from pde.core.settings import Settings, SettingsError

_spec = importlib.util.spec_from_file_location(
    "pde_test_deployment_checks", Path(__file__).resolve().parent / "deployment_checks.py"
)
assert _spec and _spec.loader
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)
ROOT = checks.ROOT
resolve_command = checks.resolve_command
LONG_RUNNING = {"postgres", "redis", "scoring", "frontend", "worker"}


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def built_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose()["services"].items() if "build" in s}


def pde_version_of(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def extra_requirements(*extras: str) -> set[str]:
    """Distribution names installed by `pde[extras]` (with the base dependencies)."""
    project = checks.project()
    names = {pde_version_of(r) for r in project["dependencies"]}
    todo = list(extras)
    while todo:
        for requirement in project["optional-dependencies"][todo.pop()]:
            match = re.fullmatch(r"pde\[([\w,]+)\]", requirement)
            if match:
                todo.extend(match.group(1).split(","))
            else:
                names.add(pde_version_of(requirement))
    return names


def test_deployment_services_present() -> None:
    assert set(compose()["services"]) == {
        "postgres",
        "redis",
        "migrate",
        "scoring",
        "frontend",
        "worker",
    }


@pytest.mark.parametrize("service", ["migrate", "scoring", "frontend", "worker"])
def test_deployment_command_is_a_pde_subcommand(service: str) -> None:
    command = built_services()[service]["command"]
    assert command[0] == "pde"
    resolve_command(command[1:])


@pytest.mark.parametrize("service", ["migrate", "scoring", "frontend", "worker"])
def test_deployment_environment_matches_settings(service: str) -> None:
    checks.check_settings(built_services()[service]["environment"], service)


def test_deployment_ports_match_settings() -> None:
    services = built_services()
    scoring = services["scoring"]
    grpc_port = scoring["environment"]["PDE_GRPC_ADDRESS"].rsplit(":", 1)[1]
    # replicas: no fixed host port (it would let only one start), the port open to the network
    assert "ports" not in scoring
    assert scoring["expose"] == [grpc_port, scoring["environment"]["PDE_METRICS_PORT"]]
    assert scoring["deploy"]["replicas"] >= 2
    probe = scoring["healthcheck"]["test"]
    assert probe[probe.index("-m") + 2] == f"127.0.0.1:{grpc_port}"
    for client in ("frontend", "worker"):
        address = services[client]["environment"]["PDE_GRPC_ADDRESS"]
        assert address == f"dns:///scoring:{grpc_port}"  # every replica, round robin
        assert grpc_target(address) == address
    web_port = services["frontend"]["environment"]["PDE_FRONTEND_PORT"]
    assert services["frontend"]["ports"] == [f"{web_port}:{web_port}"]
    check = " ".join(services["frontend"]["healthcheck"]["test"])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
    assert url and url.group(1) == web_port
    from pde.frontend.auth import PUBLIC_PREFIXES

    assert url.group(2).startswith(PUBLIC_PREFIXES)  # answers without signing in
    assert "5432" in services["migrate"]["environment"]["PDE_DATABASE_URL"]


def test_deployment_every_long_running_service_has_a_healthcheck() -> None:
    services = compose()["services"]
    assert set(services) - {"migrate"} == LONG_RUNNING
    for name in LONG_RUNNING:
        test = services[name]["healthcheck"]["test"]
        assert test[0] in {"CMD", "CMD-SHELL"}, name
        if test[1] == "pde":
            resolve_command(test[2:])
    assert services["migrate"]["restart"] == "no"  # one-shot: the others wait for its success
    for name in ("frontend", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["depends_on"]["scoring"] == {"condition": "service_healthy"}


def test_deployment_healthcheck_module_exists() -> None:
    test = built_services()["scoring"]["healthcheck"]["test"]
    module = test[test.index("-m") + 1]
    assert callable(importlib.import_module(module).main)


def test_deployment_the_app_queues_and_the_worker_runs_jobs() -> None:
    services = built_services()
    app, worker = services["frontend"], services["worker"]
    assert Settings(app_runs_jobs=app["environment"]["PDE_APP_RUNS_JOBS"]).app_runs_jobs is False
    assert "PDE_APP_RUNS_JOBS" not in worker["environment"]
    assert "/data:/data" in " ".join(worker["volumes"]) and all(
        not v.endswith(":ro") for v in worker["volumes"]
    )
    assert any(v.endswith("/data:ro") for v in app["volumes"])
    assert compose()["services"]["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]


@pytest.mark.parametrize(
    "dockerfile", ["Dockerfile.server", "Dockerfile.frontend", "Dockerfile.worker"]
)
def test_deployment_dockerfile_copies_existing_paths(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    for line in re.findall(r"^COPY (.+)$", text, flags=re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"{dockerfile} copies missing {source}"
    extras = checks.project()["optional-dependencies"]
    assert set(checks.pip_extras(dockerfile)) <= set(extras)
    assert dockerfile in {s["build"]["dockerfile"] for s in built_services().values()}


def test_deployment_worker_image_can_train_and_partition() -> None:
    installed = extra_requirements(*checks.pip_extras("Dockerfile.worker"))
    assert {"lightgbm", "onnx", "skl2onnx", "sqlmodel", "dask"} <= installed
    assert "worker" in built_services()["migrate"]["build"]["dockerfile"].lower()


def test_deployment_server_image_has_every_library_the_server_imports() -> None:
    """onnx above all: without it the server falls back to three sessions, not the fused graph."""
    imported: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"pde"}
    installed = extra_requirements(*checks.pip_extras("Dockerfile.server"))
    distributions = importlib.metadata.packages_distributions()
    assert "onnx" in third_party and "onnx" in installed
    for module in sorted(third_party):
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert names & installed, f"the server imports {module}, the server image lacks it"


def test_deployment_the_app_needs_a_real_secret_key() -> None:
    env = built_services()["frontend"]["environment"]
    assert re.fullmatch(r"\$\{PDE_SECRET_KEY:\?[^}]+\}", env["PDE_SECRET_KEY"])
    assert env["PDE_ENV"] == "production"
    for name, service in built_services().items():
        assert service.get("environment", {}).get("PDE_ENV", "production") == "production", name
    fields = checks.setting_names()
    unset = Settings(
        **{k[4:].lower(): v for k, v in env.items() if k != "PDE_SECRET_KEY" and k in fields}
    )
    with pytest.raises(SettingsError, match="published placeholder"):
        unset.app_secret()  # had compose not required it, the app would refuse to start


def test_deployment_secrets_come_from_the_environment() -> None:
    """Without a token the server refuses ReloadModel, so promotion could not reload it."""
    services = built_services()
    tokens = {
        services[name]["environment"]["PDE_GRPC_TOKEN"]
        for name in ("scoring", "frontend", "worker")
    }
    assert len(tokens) == 1 and re.fullmatch(r"\$\{PDE_GRPC_TOKEN:\?[^}]+\}", tokens.pop())
    text = (ROOT / "compose.yaml").read_text()
    assert "${PDE_DB_PASSWORD:?" in compose()["x-database-url"]
    assert compose()["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${PDE_DB_PASSWORD:?"
    )
    assert not re.search(r"PASSWORD: (?!\$\{)", text)  # no password written in the file


def test_deployment_the_test_command_installs_dask_distributed() -> None:
    """`python3 dev.py test` installs pde[dev]: partitioned scoring is tested, not skipped."""
    extras = checks.project()["optional-dependencies"]
    reached: set[str] = set()
    todo = ["dev"]
    while todo:
        name = todo.pop()
        reached.add(name)
        for requirement in extras[name]:
            match = re.fullmatch(r"pde\[([\w,]+)\]", requirement)
            todo += [e for e in (match.group(1).split(",") if match else []) if e not in reached]
    assert "scale" in reached
    assert any(re.match(r"dask\[[\w,]*distributed", r) for r in extras["scale"])
    assert 'ensure_venv("dev")' in (ROOT / "dev.py").read_text()

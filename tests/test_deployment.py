"""compose.yaml and the Dockerfiles cannot be built here (no Docker engine): check coherence."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pde.cli.main import build_app
from pde.core.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def built_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose()["services"].items() if "build" in s}


def registered_commands() -> set[str]:
    import typer.main

    group = typer.main.get_command(build_app())
    return set(group.commands)  # type: ignore[attr-defined]


def test_deployment_services_present() -> None:
    assert set(compose()["services"]) == {"postgres", "migrate", "scoring", "frontend", "redis"}


@pytest.mark.parametrize("service", ["migrate", "scoring", "frontend"])
def test_deployment_command_is_a_pde_subcommand(service: str) -> None:
    command = built_services()[service]["command"]
    assert command[0] == "pde"
    assert command[1] in registered_commands()


@pytest.mark.parametrize("service", ["migrate", "scoring", "frontend"])
def test_deployment_environment_matches_settings(service: str) -> None:
    env = built_services()[service]["environment"]
    fields = {f"PDE_{name.upper()}" for name in Settings.model_fields}
    for key in env:
        assert key in fields, f"{service}: {key} is not a setting"
    Settings(**{k[4:].lower(): v for k, v in env.items()})  # every value validates


def test_deployment_ports_match_settings() -> None:
    services = built_services()
    grpc_port = services["scoring"]["environment"]["PDE_GRPC_ADDRESS"].rsplit(":", 1)[1]
    assert f"{grpc_port}:{grpc_port}" in services["scoring"]["ports"]
    assert services["frontend"]["environment"]["PDE_GRPC_ADDRESS"] == f"scoring:{grpc_port}"
    web_port = services["frontend"]["environment"]["PDE_FRONTEND_PORT"]
    assert f"{web_port}:{web_port}" in services["frontend"]["ports"]
    assert "5432" in services["migrate"]["environment"]["PDE_DATABASE_URL"]


def test_deployment_healthcheck_module_exists() -> None:
    test = built_services()["scoring"]["healthcheck"]["test"]
    module = test[test.index("-m") + 1]
    assert callable(importlib.import_module(module).main)


@pytest.mark.parametrize("dockerfile", ["Dockerfile.server", "Dockerfile.frontend"])
def test_deployment_dockerfile_copies_existing_paths(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    for line in re.findall(r"^COPY (.+)$", text, flags=re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"{dockerfile} copies missing {source}"
    assert re.search(r'pip install --no-cache-dir "\.\[(server|frontend)\]"', text)
    assert dockerfile in {s["build"]["dockerfile"] for s in built_services().values()}


def test_deployment_the_app_needs_a_real_secret_key() -> None:
    env = built_services()["frontend"]["environment"]
    assert re.fullmatch(r"\$\{PDE_SECRET_KEY:\?[^}]+\}", env["PDE_SECRET_KEY"])
    assert env["PDE_ENV"] == "production"
    for name, service in built_services().items():
        assert service.get("environment", {}).get("PDE_ENV", "production") == "production", name
    unset = Settings(**{k[4:].lower(): v for k, v in env.items() if k != "PDE_SECRET_KEY"})
    with pytest.raises(SettingsError, match="published placeholder"):
        unset.app_secret()  # had compose not required it, the app would refuse to start


def test_deployment_server_and_app_share_a_required_grpc_token() -> None:
    """Without a token the server refuses ReloadModel, so promotion could not reload it."""
    services = built_services()
    for name in ("scoring", "frontend"):
        token = services[name]["environment"]["PDE_GRPC_TOKEN"]
        assert re.fullmatch(r"\$\{PDE_GRPC_TOKEN:\?[^}]+\}", token), name
    assert (
        services["scoring"]["environment"]["PDE_GRPC_TOKEN"]
        == services["frontend"]["environment"]["PDE_GRPC_TOKEN"]
    )

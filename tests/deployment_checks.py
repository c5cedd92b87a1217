"""Helpers of the deployment tests (compose.yaml, deploy/k8s): the CLI and the settings as
they are now. Loaded by file path (tests are not a package)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pde.cli.main import build_app
from pde.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


# Settings another change adds (the app's shared cache): checked once Settings has them.
def setting_names() -> set[str]:
    return {f"PDE_{name.upper()}" for name in Settings.model_fields}


def check_settings(env: dict[str, Any], where: str) -> None:
    """Every PDE_ variable is a setting (or pending) and the values given in place validate
    (not those from a secret reference)."""
    fields = setting_names()
    for key in env:
        assert key in fields, f"{where}: {key} is not a setting"
    Settings(**{k[4:].lower(): v for k, v in env.items() if k in fields and isinstance(v, str)})


def resolve_command(args: list[str]) -> Any:
    """The `pde` command that `args` (after "pde") runs; its options must exist."""
    import typer.main

    command: Any = typer.main.get_command(build_app())
    rest = list(args)
    while hasattr(command, "commands") and rest:
        name = rest.pop(0)
        assert name in command.commands, f"pde has no command {name!r} in {args}"
        command = command.commands[name]
    options = {opt for param in command.params for opt in param.opts}
    for token in rest:
        if token.startswith("--"):
            assert token.split("=")[0] in options, f"{args}: {token} is not an option"
    return command


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def pip_extras(dockerfile: str) -> list[str]:
    text = (ROOT / dockerfile).read_text()
    found = re.search(r'pip install --no-cache-dir "\.\[([\w,]+)\]"', text)
    assert found, f"{dockerfile} installs no extra"
    return found.group(1).split(",")

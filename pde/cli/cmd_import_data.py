"""`pde import`: Import a real dataset into the canonical schema."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "import", "Import a real dataset into the canonical schema")

"""`pde db`: Manage the operational database."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "db", "Manage the operational database")

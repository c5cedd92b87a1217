"""`pde features`: Compute point-in-time features and 30-day labels."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "features", "Compute point-in-time features and 30-day labels")

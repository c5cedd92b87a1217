"""`pde frontend`: Start the risk officers' Dash app."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "frontend", "Start the risk officers' Dash app")

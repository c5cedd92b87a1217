"""`pde score`: Score a features file through the scoring server."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "score", "Score a features file through the scoring server")

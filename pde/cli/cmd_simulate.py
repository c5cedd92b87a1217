"""`pde simulate`: Generate behavioural data with known truth."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "simulate", "Generate behavioural data with known truth")

"""`pde bench`: Run a benchmark and print its figures."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "bench", "Run a benchmark and print its figures")

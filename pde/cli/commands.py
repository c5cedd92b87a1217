"""The list of subcommands; each lives in its own module with a `register(app)` function."""

from __future__ import annotations

import importlib

import typer

# Modules under pde.cli, named cmd_<name>.
SUBCOMMANDS = (
    "simulate",
    "dataset",
    "import_data",
    "features",
    "train",
    "models",
    "jobs",
    "serve",
    "score",
    "score_portfolio",
    "outcomes",
    "replay",
    "frontend",
    "db",
    "demo",
    "bench",
)


def register(app: typer.Typer) -> None:
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"pde.cli.cmd_{name}")
        module.register(app)

"""`pde bench NAME`: benchmarks that print medians, ratios and peak memory.

Each benchmark is a module `bench/<name>.py` with a `register(app: typer.Typer)` function that
adds one command named after it; heavy imports stay inside the command.
"""

from __future__ import annotations

import importlib

import typer

BENCHES = (
    "data",
    "features",
    "train",
    "grpc",
    "portfolio",
    "frontend",
    "fuzz",
    "soak",
    "uplift",
    "shadow",
)


def register(app: typer.Typer) -> None:
    bench_app = typer.Typer(
        name="bench", help="Run a benchmark and print its figures.", no_args_is_help=True
    )
    for name in BENCHES:
        importlib.import_module(f"pde.bench.{name}").register(bench_app)
    app.add_typer(bench_app)

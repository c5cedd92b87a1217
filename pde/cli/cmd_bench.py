"""`pde bench NAME`: benchmarks that print medians, ratios and peak memory.

Each benchmark is a module `bench/<name>.py` with a `register(app: typer.Typer)` function that
adds one command named after it; heavy imports stay inside the command.
"""

from __future__ import annotations

import importlib

import typer

from pde.cli.stub import register_not_built

BENCHES = {
    "data": "simulator speed and memory (30k and 300k customers)",
    "features": "point-in-time features speed and memory",
    "train": "full training run on 30k simulated customers",
    "grpc": "scoring server latency and throughput",
    "portfolio": "portfolio scoring into the database",
    "frontend": "first render of each app page",
    "fuzz": "hostile messages to every RPC of a live server",
    "soak": "a live server under steady load: req/s, p99 and memory per window",
}


def register(app: typer.Typer) -> None:
    bench_app = typer.Typer(
        name="bench", help="Run a benchmark and print its figures.", no_args_is_help=True
    )
    for name, summary in BENCHES.items():
        try:
            module = importlib.import_module(f"pde.bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pde.bench.{name}":
                raise
            register_not_built(bench_app, name, summary.capitalize(), parent="pde bench")
            continue
        module.register(bench_app)
    app.add_typer(bench_app)

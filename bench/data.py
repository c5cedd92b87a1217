"""`pde bench data`: simulator speed and peak memory at 30,000 and 300,000 customers x 16 weeks.

Each size runs in a fresh Python process, so its peak memory is its own. CPU time is printed
beside wall time: on a shared machine the wall-time ratio also measures the neighbours.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import typer

from pde.bench.common import run_json_worker

SMALL, LARGE, WEEKS = 30_000, 300_000, 16
BUDGET_SECONDS, BUDGET_MB = 30.0, 2048.0

_WORKER = """
import json, sys, tempfile, time
from pathlib import Path
from pde.bench.common import peak_rss_mb, time_repeated
from pde.training.data.simulate import SimulationConfig, simulate
customers, weeks, repeat = (int(a) for a in sys.argv[1:4])
config = SimulationConfig(customers=customers, weeks=weeks)
cpu = time.process_time()
with tempfile.TemporaryDirectory(dir=sys.argv[4]) as out:
    timing, summary = time_repeated(lambda: simulate(config, Path(out) / "data"), repeat=repeat)
cpu = (time.process_time() - cpu) / repeat
print(json.dumps({"seconds": timing.seconds, "median": timing.median, "peak_mb": peak_rss_mb(),
                  "cpu_seconds": cpu,
                  "transactions": summary.transactions, "default_rate": summary.default_rate,
                  "oracle_auc": summary.oracle_auc}))
"""


def run_size(customers: int, weeks: int, repeat: int, scratch: Path) -> dict[str, Any]:
    """Times `repeat` simulations of one size in a fresh process; returns its figures."""
    args = [str(customers), str(weeks), str(repeat), str(scratch)]
    return run_json_worker(_WORKER, *args)


def register(app: typer.Typer) -> None:
    @app.command(name="data")
    def data_bench(
        repeat: int = typer.Option(3, help="Runs of the 30,000-customer size."),
        large: bool = typer.Option(True, help="Also run 300,000 customers (once)."),
    ) -> None:
        """Simulator speed and memory (30k and 300k customers)."""
        from pde.cli.console import console

        out = console()
        with tempfile.TemporaryDirectory() as scratch:
            small = run_size(SMALL, WEEKS, repeat, Path(scratch))
            runs = ", ".join(f"{s:.2f}" for s in small["seconds"])
            out.print(
                f"simulate {SMALL:,} x {WEEKS} weeks: median {small['median']:.2f} s "
                f"over {repeat} runs ({runs}), {small['cpu_seconds']:.2f} s CPU per run, "
                f"peak {small['peak_mb']:.0f} MiB, "
                f"{small['transactions']:,.0f} transactions, "
                f"default rate {small['default_rate']:.2%}, oracle AUC {small['oracle_auc']:.4f}"
            )
            ok = small["median"] <= BUDGET_SECONDS and small["peak_mb"] <= BUDGET_MB
            out.print(
                f"budget <= {BUDGET_SECONDS:.0f} s and <= {BUDGET_MB:.0f} MiB: "
                f"{'met' if ok else 'NOT met'}"
            )
            if large:
                big = run_size(LARGE, WEEKS, 1, Path(scratch))
                out.print(
                    f"simulate {LARGE:,} x {WEEKS} weeks: {big['median']:.2f} s (1 run), "
                    f"{big['cpu_seconds']:.2f} s CPU, "
                    f"peak {big['peak_mb']:.0f} MiB, {big['transactions']:,.0f} transactions"
                )
                time_ratio = big["median"] / small["median"]
                cpu_ratio = big["cpu_seconds"] / small["cpu_seconds"]
                memory_ratio = big["peak_mb"] / small["peak_mb"]
                out.print(
                    f"ratio for {LARGE // SMALL}x the customers: {time_ratio:.1f}x the time "
                    f"({cpu_ratio:.1f}x the CPU time), "
                    f"{memory_ratio:.1f}x the peak memory"
                )

"""`pde bench features`: point-in-time features for one as-of date, at portfolio scale.

Two inputs: the default simulated portfolio (30,000 customers x 16 weeks) and a
10-million-transaction input (the same portfolio repeated under new customer ids until it holds
at least 10M transactions). Each runs in a fresh process so its peak memory is its own; load
time is printed apart from feature time. CPU time is printed beside wall time: on a shared
machine the wall time also measures the neighbours.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import typer

PORTFOLIO_BUDGET_SECONDS = 10.0
LARGE_BUDGET_SECONDS, LARGE_BUDGET_MB = 20.0, 4096.0
LARGE_TRANSACTIONS = 10_000_000

_WORKER = """
import json, sys, time
from pathlib import Path
import polars as pl
from pde.bench.common import peak_rss_mb, time_repeated
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.io import load_dataset
from pde.training.features import compute_features, weekly_as_of_dates
data_dir, min_transactions, repeat = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
data = load_dataset(data_dir)
load_seconds = time.perf_counter() - start
as_of = weekly_as_of_dates(data)[-1]
copies = max(1, -(-min_transactions // max(data.transactions.height, 1)))
def tile(frame, *keys):
    return pl.concat([frame.with_columns(pl.col(k) + f"-{n}" for k in keys) for n in range(copies)])
if copies > 1:
    transactions = tile(data.transactions, "customer_id", "transaction_id")
    customers = tile(data.customers, "customer_id")
    # whole customers, in order, until the input holds min_transactions
    counts = customers.select("customer_id").join(
        transactions.group_by("customer_id").len(), on="customer_id", how="left",
        maintain_order="left").with_columns(pl.col("len").fill_null(0).cum_sum())
    keep = counts.filter(pl.col("len").shift(1, fill_value=0) < min_transactions)["customer_id"]
    data = CanonicalData(customers.filter(pl.col("customer_id").is_in(keep)),
                         transactions.filter(pl.col("customer_id").is_in(keep)),
                         tile(data.payments, "customer_id", "obligation_id").filter(
                             pl.col("customer_id").is_in(keep)))
cpu = time.process_time()
timing, frame = time_repeated(lambda: compute_features(data, [as_of]), repeat=repeat)
cpu = (time.process_time() - cpu) / repeat
print(json.dumps({"seconds": timing.seconds, "median": timing.median, "cpu_seconds": cpu,
                  "load_seconds": load_seconds, "peak_mb": peak_rss_mb(),
                  "customers": data.customers.height, "transactions": data.transactions.height,
                  "rows": frame.height, "columns": frame.width - 2}))
"""


def _line(name: str, figures: dict[str, Any]) -> str:
    runs = ", ".join(f"{s:.2f}" for s in figures["seconds"])
    size = (
        f"{figures['customers']:,} customers, {figures['transactions']:,} transactions -> "
        f"{figures['rows']:,} rows x {figures['columns']} features"
    )
    return (
        f"{name}: {size}: median {figures['median']:.2f} s ({runs}), "
        f"{figures['cpu_seconds']:.2f} s CPU per run, load {figures['load_seconds']:.2f} s, "
        f"peak {figures['peak_mb']:.0f} MiB"
    )


def register(app: typer.Typer) -> None:
    @app.command(name="features")
    def features_bench(
        data: Path | None = typer.Option(
            None, "--data", help="Canonical data to use (default: simulate 30,000 customers)."
        ),
        repeat: int = typer.Option(3, min=1, help="Timed runs per input."),
    ) -> None:
        """Point-in-time features speed and memory."""
        from pde.bench.common import run_json_worker
        from pde.cli.console import console

        out = console()
        with tempfile.TemporaryDirectory() as scratch:
            if data is None:
                from pde.training.data.simulate import SimulationConfig, simulate

                data = Path(scratch) / "data"
                simulate(SimulationConfig(customers=30_000, weeks=16), data)
            small: dict[str, Any] = run_json_worker(_WORKER, str(data), "0", str(repeat))
            out.print(_line("one as-of date", small))
            verdict = "met" if small["median"] <= PORTFOLIO_BUDGET_SECONDS else "NOT met"
            out.print(f"budget <= {PORTFOLIO_BUDGET_SECONDS:.0f} s: {verdict}")
            large: dict[str, Any] = run_json_worker(
                _WORKER, str(data), str(LARGE_TRANSACTIONS), str(repeat)
            )
            out.print(_line("10M-transaction input", large))
            ok = large["median"] <= LARGE_BUDGET_SECONDS and large["peak_mb"] <= LARGE_BUDGET_MB
            out.print(
                f"budget <= {LARGE_BUDGET_SECONDS:.0f} s and <= {LARGE_BUDGET_MB:.0f} MiB: "
                f"{'met' if ok else 'NOT met'}"
            )
            ratio = large["median"] / small["median"]
            rows = large["transactions"] / small["transactions"]
            out.print(f"ratio: {rows:.1f}x the transactions took {ratio:.1f}x the time")

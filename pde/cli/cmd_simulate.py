"""`pde simulate`: generate behavioural data with known truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from pde.core.errors import PdeError


def _parse_start(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PdeError(f"--start {value!r}: expected a date YYYY-MM-DD") from None


def register(app: typer.Typer) -> None:
    @app.command(name="simulate")
    def simulate_command(
        customers: int = typer.Option(30_000, "--customers", "-n", help="Number of customers."),
        weeks: int = typer.Option(
            16, "--weeks", "-w", help="Weekly as-of dates (labelled snapshots)."
        ),
        history_weeks: int | None = typer.Option(
            None,
            "--history-weeks",
            help="Weeks of activity before the first as-of date [default: 13, the lookback].",
        ),
        seed: int = typer.Option(42, "--seed", "-s", help="Random seed: same seed, same bytes."),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="Output directory [PDE_DATA_DIR]."
        ),
        start: str = typer.Option(
            "2025-01-06", "--start", help="First simulated day (YYYY-MM-DD)."
        ),
        drift_from_week: int | None = typer.Option(
            None,
            "--drift-from-week",
            help="From this as-of week (0 = the first) incomes shrink and spending grows: a "
            "drift for monitoring to catch.",
        ),
        treated_weeks: int = typer.Option(
            8,
            "--treated-weeks",
            min=0,
            help="First as-of weeks with interventions (interventions.parquet); 0: none.",
        ),
    ) -> None:
        """Generate behavioural data with known truth (customers, transactions, payments, truth,
        and a treated history with its outcomes)."""
        import time

        from pde.cli.console import console, progress_bar
        from pde.core.settings import get_settings
        from pde.training.data.simulate import SimulationConfig, simulate

        config = SimulationConfig(
            customers=customers,
            weeks=weeks,
            seed=seed,
            start=_parse_start(start),
            drift_from_week=drift_from_week,
            treated_weeks=treated_weeks,
            **({} if history_weeks is None else {"history_weeks": history_weeks}),
        )
        target = out if out is not None else get_settings().data_dir
        began = time.perf_counter()
        with progress_bar() as bar:
            task = bar.add_task("simulating customers", total=customers)
            summary = simulate(
                config, target, progress=lambda done, _total: bar.update(task, completed=done)
            )
        elapsed = time.perf_counter() - began
        out_console = console()
        out_console.print(
            f"simulated {summary.customers:,} customers x {weeks} as-of weeks "
            f"({config.start} to {config.end}) into {target} in {elapsed:.1f} s"
        )
        out_console.print(
            f"rows: {summary.transactions:,} transactions, {summary.payments:,} payments, "
            f"{summary.truth_rows:,} truth ({summary.labelled_rows:,} labelled)"
        )
        out_console.print(
            f"default rate {summary.default_rate:.2%}   oracle AUC {summary.oracle_auc:.4f}"
        )
        if summary.interventions:
            out_console.print(
                f"treated history: {summary.interventions:,} assignments in the first"
                f" {min(treated_weeks, weeks)} as-of weeks (interventions.parquet,"
                " uplift_truth.parquet)"
            )

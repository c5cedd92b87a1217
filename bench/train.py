"""`pde bench train`: a full training run on 30,000 simulated customers, timed per stage.

The data is simulated first (not timed) unless `--data` names a canonical directory; the
timed run is what `pde train --data` does: features and labels, then every training stage,
export and report. It prints the stage timings, the total against the 5-minute budget, peak
memory, the ensemble's out-of-time AUC against the simulator's oracle on the same rows, and
beside it the alert share, the capacity used (pde.decision's policy on the test dates) and
the expected calibration error.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

CUSTOMERS = 30_000
BUDGET_SECONDS = 300.0
ORACLE_GAP = 0.02


def register(app: typer.Typer) -> None:
    @app.command(name="train")
    def train_bench(
        data: Path | None = typer.Option(
            None, "--data", help="Canonical data directory [default: simulate 30,000 customers]."
        ),
        customers: int = typer.Option(CUSTOMERS, "--customers", help="Customers to simulate."),
        table: Path | None = typer.Option(
            None, "--table", help="Time a --table run instead (for example UCI Taiwan)."
        ),
        label: str | None = typer.Option(None, "--label", help="Label column of --table."),
        id_column: str | None = typer.Option(None, "--id", help="Id column of --table."),
        quick: bool = typer.Option(False, "--quick", help="The --quick settings (smoke run)."),
    ) -> None:
        """Full training run on 30k simulated customers, stage timings and oracle gap."""
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from pde.bench.common import peak_rss_mb
        from pde.cli.console import console
        from pde.training.models import (
            TrainConfig,
            frame_from_table,
            load_canonical_frame,
            read_table_file,
            train_frame,
        )

        out = console()
        with tempfile.TemporaryDirectory() as scratch:
            if table is None and data is None:
                from pde.training.data.simulate import SimulationConfig, simulate

                data = Path(scratch) / "data"
                start = time.perf_counter()
                simulate(SimulationConfig(customers=customers), data)
                out.print(
                    f"simulated {customers:,} customers in {time.perf_counter() - start:.1f} s"
                )
            start = time.perf_counter()
            if table is not None:
                if label is None:
                    raise typer.BadParameter("--table needs --label")
                frame = frame_from_table(read_table_file(table), label=label, id_column=id_column)
            else:
                assert data is not None
                frame = load_canonical_frame(data)
            load_seconds = time.perf_counter() - start
            out.print(
                f"features and labels: {frame.n_rows:,} rows x {len(frame.feature_names)}"
                f" features in {load_seconds:.1f} s"
            )
            options: dict[str, object] = {"gap_days": 30 if table is None else 0}
            config = TrainConfig.quick_run(**options) if quick else TrainConfig(**options)  # type: ignore[arg-type]

            def progress(stage: str, detail: str) -> None:
                if not detail:
                    out.print(f"[dim]{time.perf_counter() - start:7.1f}s[/] {stage}")

            result = train_frame(
                frame, config=config, model_dir=Path(scratch) / "models", progress=progress
            )
        total = load_seconds + result.timings["total"]
        out.print(
            "stage timings (s): load "
            + f"{load_seconds:.1f}, "
            + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in result.timings.items())
        )
        out.print(
            f"total {total:.1f} s (budget {BUDGET_SECONDS:.0f} s:"
            f" {'met' if total <= BUDGET_SECONDS else 'NOT met'}), peak {peak_rss_mb():.0f} MiB"
        )
        ensemble = result.manifest.metrics["ensemble"]
        alerts = result.manifest.training["alerts"]
        out.print(
            f"ensemble test AUC {ensemble['auc']:.4f}, CV AUC {ensemble['cv_auc_mean']:.4f}"
            f" ± {ensemble['cv_auc_std']:.4f} on {result.manifest.training['rows_used']['cv']:,}"
            f" rows; ECE {ensemble['ece']:.4f} ({result.manifest.calibration.method}); alerts"
            f" {alerts['share_alerted']:.1%} of test rows, capacity used"
            f" {alerts['capacity_used']:.0%} of {alerts['capacity']:,} (precision"
            f" {alerts['precision']:.3f}, lift {alerts['lift']:.1f})"
        )
        time_to_miss = read_time_to_miss(result.bundle_dir)
        if time_to_miss is not None:
            out.print(
                f"time to miss: concordance {time_to_miss['concordance']:.4f} on"
                f" {time_to_miss['rows']:,} out-of-time rows, beside the ensemble's AUC"
                f" {ensemble['auc']:.4f}"
            )
        oracle = result.manifest.training.get("oracle")
        if oracle:
            out.print(
                f"oracle AUC {oracle['oracle_auc']:.4f} on the same {oracle['rows']:,} test rows,"
                f" gap {oracle['gap']:+.4f} (bar {ORACLE_GAP}:"
                f" {'met' if oracle['gap'] <= ORACLE_GAP else 'NOT met'})"
            )


def read_time_to_miss(bundle_dir: Path) -> dict[str, Any] | None:
    """The hazard model's out-of-time figures from the bundle's metrics.json, if any."""
    figures = json.loads((bundle_dir / "metrics.json").read_text()).get("time_to_miss")
    return figures if figures and "concordance" in figures else None

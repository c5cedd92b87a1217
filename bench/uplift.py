"""`pde bench uplift`: the policy values of the learned uplift policy against today's rules.

Simulates 30,000 customers with a treated history (unless `--data` names a canonical
directory with `interventions.parquet` and the simulator's `uplift_truth.parquet`), trains a
bundle (the quick settings unless `--full`) and prints, on the out-of-time test dates: the Qini
coefficient and AUUC per action against the true uplift, and misses prevented per 1,000
contacts of the learned policy, the fixed by-product rule, random contact and the oracle, with
95% bootstrap intervals and the learned policy's margins.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import typer

CUSTOMERS = 30_000


def register(app: typer.Typer) -> None:
    @app.command(name="uplift")
    def uplift_bench(
        data: Path | None = typer.Option(
            None, "--data", help="Canonical data directory [default: simulate 30,000 customers]."
        ),
        customers: int = typer.Option(CUSTOMERS, "--customers", help="Customers to simulate."),
        full: bool = typer.Option(False, "--full", help="The full training settings."),
    ) -> None:
        """Qini per action and policy values (learned, fixed rule, random, oracle) with CIs."""
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from pde.cli.console import console
        from pde.core.errors import PdeError
        from pde.training.models import TrainConfig, load_canonical_frame, train_frame

        out = console()
        with tempfile.TemporaryDirectory() as scratch:
            if data is None:
                from pde.training.data.simulate import SimulationConfig, simulate

                data = Path(scratch) / "data"
                start = time.perf_counter()
                summary = simulate(SimulationConfig(customers=customers), data)
                out.print(
                    f"simulated {customers:,} customers ({summary.interventions:,} assignments"
                    f" in the treated history) in {time.perf_counter() - start:.1f} s"
                )
            start = time.perf_counter()
            frame = load_canonical_frame(data)
            if frame.uplift is None:
                raise PdeError(f"{data}: no interventions.parquet, nothing to learn uplift from")
            config = TrainConfig(gap_days=30) if full else TrainConfig.quick_run(gap_days=30)
            result = train_frame(frame, config=config, model_dir=Path(scratch) / "models")
            out.print(f"trained in {time.perf_counter() - start:.1f} s")
            import json

            uplift = json.loads((result.bundle_dir / "metrics.json").read_text())["uplift"]
        out.print(
            "arms fitted on: " + ", ".join(f"{a} {n:,}" for a, n in uplift["fit_rows"].items())
        )
        if "qini" not in uplift:
            out.print("no simulator truth in the data: Qini and policy values need it")
            return
        out.print(f"on {uplift['evaluation_rows']:,} out-of-time rows:")
        for action, q in uplift["qini"].items():
            out.print(
                f"  {action:22s} Qini {q['qini']:+.3f}  AUUC {q['auuc']:.4f}"
                f" (random {q['auuc_random']:.4f}, oracle {q['auuc_oracle']:.4f})"
            )
        value = uplift["policy_value"]
        out.print("misses prevented per 1,000 contacts (95% bootstrap interval):")
        for name, p in value["policies"].items():
            low, high = p["interval"]
            out.print(
                f"  {name:10s} {p['per_1000_contacts']:6.1f}  [{low:6.1f}, {high:6.1f}]"
                f"  contacts {p['contacts']:,}, net benefit per contact"
                f" {p['net_benefit_per_contact']:.0f}"
            )
        for name, m in value["margins"].items():
            low, high = m["interval"]
            verdict = "excludes zero" if m["excludes_zero"] else "includes zero"
            out.print(
                f"  {name.replace('_', ' ')}: {m['per_1000_contacts']:+.1f}"
                f" [{low:+.1f}, {high:+.1f}] ({verdict})"
            )

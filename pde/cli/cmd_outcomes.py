"""`pde outcomes`: intervention outcomes into the database, and each action's measured effect."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    outcomes_app = typer.Typer(
        name="outcomes",
        help="Intervention outcomes: load them, record the holdout's, measure each action.",
        no_args_is_help=True,
    )

    @outcomes_app.command(name="load")
    def load(
        data: Path | None = typer.Option(
            None, "--data", help="Canonical data directory [default: PDE_DATA_DIR]."
        ),
    ) -> None:
        """Record the data's interventions.parquet (assignments and 30-day outcomes)."""
        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.outcomes import load_outcomes

        directory = data or get_settings().data_dir
        read, added = load_outcomes(data_dir=directory)
        console().print(f"{read:,} assignments read from {directory}, {added:,} new recorded")

    @outcomes_app.command(name="holdout")
    def holdout(
        data: Path | None = typer.Option(
            None, "--data", help="Canonical data directory [default: PDE_DATA_DIR]."
        ),
    ) -> None:
        """Record the 30-day outcomes of the held-out customers whose window has closed."""
        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.outcomes import record_holdout_outcomes

        directory = data or get_settings().data_dir
        done = record_holdout_outcomes(data_dir=directory)
        console().print(
            f"{done.closed:,} held-out customers with a closed window (data to"
            f" {done.last_event}), {done.added:,} new outcomes recorded,"
            f" {done.nothing_due:,} with nothing due, {done.pending:,} still open"
        )

    @outcomes_app.command(name="effects")
    def effects() -> None:
        """Each action's cure rate against the control group's, and its ROI on that basis."""
        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.outcomes import action_effects

        settings = get_settings()
        rows = action_effects(
            exposure=settings.exposure_amount, loss_given_default=settings.loss_given_default
        )
        out = console()
        if not rows:
            out.print("no outcomes recorded (pde outcomes load)")
            return
        for row in rows:
            out.print(
                f"{row.action:22s} {row.assigned:6,} assigned, cured {row.cure_rate:.1%}"
                f" (control {row.control_cure_rate:.1%}), ROI {row.roi.roi:+.0%}"
            )
        out.print(f"[dim]{rows[0].roi.basis}[/]")

    app.add_typer(outcomes_app)

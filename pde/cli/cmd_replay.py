"""`pde replay`: recompute a stored decision and compare it with what was stored (exit code
0 when they match, 1 with the differences when they do not or nothing can be replayed)."""

from __future__ import annotations

import typer

from pde.cli.console import console
from pde.cli.dates import parse_date


def register(app: typer.Typer) -> None:
    @app.command(
        name="replay",
        help="Replay a stored decision: the customer's score and reasons as of a date, "
        "recomputed with the model that made it, against the stored ones.",
    )
    def replay(
        customer_id: str = typer.Argument(..., help="The customer."),
        as_of: str = typer.Option(..., "--as-of", help="The scoring date (YYYY-MM-DD)."),
        model_version: str | None = typer.Option(
            None, "--model-version", help="The model (default: the one stored last that day)."
        ),
    ) -> None:
        from pde.core.errors import PdeError
        from pde.core.settings import get_settings
        from pde.jobs.replay import replay as run

        settings = get_settings()
        when = parse_date(as_of)
        assert when is not None  # a required option
        result = run(
            customer_id,
            as_of=when,
            model_version=model_version,
            data_dir=settings.data_dir,
            model_dir=settings.model_dir,
        )
        out = console()
        out.print(
            f"{result.customer_id} as of {result.as_of} by model {result.model_version}: "
            f"probability {result.probability:.6f} (stored {result.stored_probability:.6f}), "
            f"tier {result.tier} (stored {result.stored_tier})"
        )
        for reason in result.reasons:
            out.print(f"  {reason.feature}: {reason.text} ({reason.contribution:+.4f})")
        if result.matches:
            out.print("replay matches the stored decision")
            return
        raise PdeError("replay differs from the stored decision: " + "; ".join(result.differences))

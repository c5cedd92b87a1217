"""`pde score-portfolio`: every customer's score at one as-of date into `risk_scores`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from pde.cli.console import console, progress_bar
from pde.cli.dates import parse_date
from pde.core.names import DEFAULT_LOOKBACK_DAYS


def score_portfolio(
    as_of: str | None = typer.Option(
        None, "--as-of", help="YYYY-MM-DD; default: the day after the data's last event."
    ),
    data: Path | None = typer.Option(None, "--data", help="Canonical data (PDE_DATA_DIR)."),
    top_reasons: int = typer.Option(3, "--reasons", min=0, help="Reason codes per alert."),
    lookback_days: int = typer.Option(
        DEFAULT_LOOKBACK_DAYS, "--lookback-days", min=30, help="Feature window."
    ),
    weeks: int = typer.Option(
        1, "--weeks", min=1, max=52, help="Also score the weekly dates before --as-of (history)."
    ),
) -> None:
    """Score the whole portfolio through the scoring server into the database (resumable)."""
    from pde.client.sync import RiskClient
    from pde.core.settings import get_settings
    from pde.jobs import portfolio

    settings = get_settings()
    client = RiskClient.from_settings(settings)
    with client, progress_bar() as progress:
        task = progress.add_task("scoring", total=None)

        def started(when: date, rows: int) -> None:
            progress.reset(task, total=rows, description=f"scoring {when}")

        results = portfolio.score_portfolio(
            data_dir=data or settings.data_dir,
            client=client,
            as_of=parse_date(as_of),
            weeks=weeks,
            lookback_days=lookback_days,
            top_reasons=top_reasons,
            on_start=started,
            on_chunk=lambda n: progress.advance(task, n),
        )
    for result in results:
        console().print(
            f"scored {result.customers:,} customers as of {result.as_of} with model "
            f"{result.model_version}: {result.rows_written:,} rows in run {result.run_id}, "
            f"{result.alerts:,} new alerts"
        )
        console().print(_policy_line(result.policy))
        if result.drift is not None:
            drift = result.drift
            top = ", ".join(f"{name} {value:.3f}" for name, value in drift.top_features[:3])
            console().print(
                f"  drift: {drift.level} (score PSI {drift.score_psi:.3f}, KS p"
                f" {drift.score_ks_pvalue:.3g}); largest feature PSI: {top or 'none'}"
            )
        if result.challenger is not None:
            console().print(
                f"  shadow: challenger {result.challenger}'s scores stored apart"
                " (pde models compare shows the comparison)"
            )
        if result.recommendations is not None and result.recommendations.rows:
            r = result.recommendations
            mix = ", ".join(f"{a} {n:,}" for a, n in sorted(r.actions.items())) or "none"
            console().print(
                f"  recommendations ({r.effect_basis} effects): {r.contacted:,} contacts"
                f" ({mix}), {r.held_out:,} held out, {r.vulnerable:,} potentially vulnerable"
            )
        for warning in result.warnings:
            console().print(f"[yellow]warning:[/] {warning}")


def _policy_line(figures: dict[str, float | int]) -> str:
    """Share alerted and capacity used (and precision, recall, lift once outcomes are known)."""
    line = (
        f"  alerts: {figures['alerts']:,} ({figures['share_alerted']:.1%} of customers),"
        f" capacity used {figures['capacity_used']:.0%} of {figures['capacity']:,};"
        f" {figures['share_above_break_even']:.1%} above break-even"
    )
    if "precision" in figures:
        line += (
            f"; on {figures['labelled_rows']:,} known outcomes: precision"
            f" {figures['precision']:.3f}, recall {figures['recall']:.3f},"
            f" lift {figures['lift']:.1f}"
        )
    return line


def register(app: typer.Typer) -> None:
    app.command(name="score-portfolio")(score_portfolio)

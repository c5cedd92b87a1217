"""`pde features`: point-in-time features and 30-day labels to Parquet."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from pde.cli.console import console, progress_bar
from pde.cli.dates import parse_date
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS


def features(
    data: Path = typer.Option(..., "--data", help="Canonical data directory."),
    out: Path = typer.Option(..., "--out", help="Parquet file to write."),
    as_of: str | None = typer.Option(None, "--as-of", help="One as-of date, YYYY-MM-DD."),
    weekly: bool = typer.Option(
        False, "--weekly", help="Every weekly as-of date with an observed label (default)."
    ),
    lookback_days: int = typer.Option(
        DEFAULT_LOOKBACK_DAYS, "--lookback-days", min=30, help="Feature window."
    ),
    labels: bool = typer.Option(True, "--labels/--no-labels", help="Add the 30-day label."),
    partitions: int = typer.Option(
        1,
        "--partitions",
        min=1,
        help="Split the customers into this many Dask tasks (needs --as-of; --out is then a "
        "directory of part-*.parquet, without labels).",
    ),
) -> None:
    """Compute point-in-time features (and 30-day labels) for every customer."""
    from pde.contracts.data.io import load_dataset
    from pde.training.features.export import feature_table, resolve_dates, write_parquet_atomically

    when = parse_date(as_of)
    if partitions > 1:
        _distributed(data, out, when, partitions=partitions, lookback_days=lookback_days)
        return
    if out.suffix != ".parquet":
        raise PdeError(f"{out}: the output must be a .parquet file")
    dataset = load_dataset(data)
    try:
        dates = resolve_dates(dataset, as_of=when, weekly=weekly)
    except ValueError as exc:
        raise PdeError(str(exc)) from None
    with progress_bar() as progress:
        task = progress.add_task("features", total=len(dates))
        table = feature_table(
            dataset,
            dates,
            lookback_days=lookback_days,
            with_labels=labels,
            progress=lambda _: progress.advance(task),
        )
    write_parquet_atomically(table, out)
    summary = f"wrote {out}: {table.height:,} rows x {table.width - 2} columns, {len(dates)} dates"
    if labels and table.height:
        known = table["label"].drop_nulls().cast(float).to_numpy()
        if known.size:
            summary += f"; label rate {known.mean():.2%} over {known.size:,} labelled rows"
    console().print(summary)


def _distributed(
    data: Path, out: Path, when: date | None, *, partitions: int, lookback_days: int
) -> None:
    from pde.training.features.distributed import compute_features_distributed

    if when is None:
        raise PdeError("--partitions needs --as-of DATE")
    if out.suffix == ".parquet":
        raise PdeError(f"{out}: with --partitions the output is a directory of parts")
    parts = compute_features_distributed(
        data, out, [when], parts=partitions, lookback_days=lookback_days
    )
    console().print(f"wrote {len(parts)} parts of features as of {when} to {out}")


def register(app: typer.Typer) -> None:
    app.command(name="features")(features)

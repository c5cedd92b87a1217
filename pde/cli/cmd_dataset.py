"""`pde dataset`: which canonical dataset PDE_DATA_DIR points at (see pde.jobs.datasets)."""

from __future__ import annotations

from pathlib import Path

import typer

from pde.cli.console import console
from pde.core.settings import get_settings


def register(app: typer.Typer) -> None:
    dataset_app = typer.Typer(help="Datasets of canonical data: the one PDE_DATA_DIR uses.")
    app.add_typer(dataset_app, name="dataset")

    @dataset_app.command(name="use")
    def use(
        dataset: Path = typer.Argument(..., help="A dataset under <PDE_DATA_DIR>.datasets/."),
    ) -> None:
        """Point PDE_DATA_DIR at DATASET (atomically; the last step of Generate demo data)."""
        from pde.jobs import datasets

        data_dir = get_settings().data_dir
        previous = datasets.use(data_dir, dataset)
        console().print(f"{data_dir} now uses {dataset.resolve()} (before: {previous})")

    @dataset_app.command(name="current")
    def current() -> None:
        """Print the dataset PDE_DATA_DIR resolves to."""
        from pde.jobs import datasets

        console().print(str(datasets.in_use(get_settings().data_dir)))

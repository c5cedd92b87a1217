"""`pde import`: import a real dataset into the canonical schema."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    import_app = typer.Typer(
        name="import",
        help="Import a real dataset into the canonical schema.",
        no_args_is_help=True,
    )

    @import_app.command(name="uci-taiwan")
    def uci_taiwan_command(
        path: Path = typer.Argument(..., help="UCI_Credit_Card.csv (UCI dataset 350)."),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="Output directory [PDE_DATA_DIR]."
        ),
        fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
    ) -> None:
        """Convert the UCI "default of credit card clients" file; its as-of date is 2005-10-01."""
        import polars as pl

        from pde.cli.console import console
        from pde.contracts.data.io import write_dataset
        from pde.contracts.data.label_rule import labels_at
        from pde.core.errors import PdeError
        from pde.core.settings import get_settings
        from pde.training.data.uci_taiwan import AS_OF, import_uci_taiwan

        if fmt not in ("parquet", "csv"):
            raise PdeError(f"--format {fmt!r}: expected parquet or csv")
        target = out if out is not None else get_settings().data_dir
        data = import_uci_taiwan(path)
        write_dataset(data, target, fmt="csv" if fmt == "csv" else "parquet")
        labels = labels_at(data.payments, AS_OF)
        console().print(
            f"imported {data.customers.height:,} customers, {data.payments.height:,} obligations, "
            f"no transactions into {target}"
        )
        console().print(
            f"as-of {AS_OF}: {labels.height:,} labelled customers, "
            f"default rate {labels.select(pl.col('label').mean()).item() or 0.0:.2%}"
        )

    app.add_typer(import_app)

"""`pde score`: Score a features file through the scoring server."""

from __future__ import annotations

from pathlib import Path

import typer

from pde.cli.console import console, progress_bar


def register(app: typer.Typer) -> None:
    @app.command(name="score", help="Score a features file (Parquet or CSV) through the server.")
    def score(
        input: Path = typer.Option(..., "--input", help="Features file: .parquet or .csv."),
        output: Path = typer.Option(..., "--output", help="Results file: .parquet or .csv."),
        id_column: str | None = typer.Option(
            None, help="Id column (default: customer_id, id, or the first non-feature column)."
        ),
        allow_duplicate_ids: bool = typer.Option(
            False, "--allow-duplicate-ids", help="Score rows that share an id (refused otherwise)."
        ),
        address: str | None = typer.Option(None, help="Server (default: PDE_GRPC_ADDRESS)."),
        chunk_rows: int = typer.Option(5_000, min=1, help="Rows per streamed message."),
    ) -> None:
        from pde.client.batch import score_file
        from pde.client.sync import RiskClient
        from pde.core.settings import get_settings

        settings = get_settings()
        with (
            RiskClient.from_settings(settings, address=address or settings.grpc_address) as client,
            progress_bar() as bar,
        ):
            task = bar.add_task("scoring", total=None)
            summary = score_file(
                client,
                input_path=input,
                output_path=output,
                id_column=id_column,
                allow_duplicate_ids=allow_duplicate_ids,
                chunk_rows=chunk_rows,
                on_total=lambda n: bar.update(task, total=n),
                on_rows=lambda n: bar.advance(task, n),
            )
        tiers = ", ".join(f"{k} {v}" for k, v in sorted(summary.tiers.items()))
        console().print(
            f"scored {summary.rows} rows with model {summary.model_version}: "
            f"{summary.alerts} alerts ({tiers}) -> {output}"
        )

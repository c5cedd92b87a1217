"""`pde models`: the bundles under PDE_MODEL_DIR, and promotion (the same path as the app's)."""

from __future__ import annotations

from pathlib import Path

import typer

from pde.cli.cmd_db import CLI_ACTOR


def _register_list(models_app: typer.Typer) -> None:
    @models_app.command(name="list")
    def list_models(
        model_dir: Path | None = typer.Option(None, "--model-dir", help="[PDE_MODEL_DIR]"),
    ) -> None:
        """Every bundle, oldest first: created, held-out AUC, registry status, current pointer."""
        from rich.table import Table

        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.models import list_models as find

        directory = model_dir or get_settings().model_dir
        found = find(model_dir=directory)
        if not found:
            console().print(f"no bundles in {directory}: train one with `pde train`")
            return
        table = Table(title=f"Model bundles in {directory}")
        for column in ("version", "created", "AUC", "registry", "current"):
            table.add_column(column)
        for bundle in found:
            table.add_row(
                bundle.version,
                f"{bundle.created_at:%Y-%m-%d %H:%M}",
                "–" if bundle.auc is None else f"{bundle.auc:.4f}",
                bundle.registry_status or "not registered",
                "current" if bundle.is_current else "",
            )
        console().print(table)


def _register_promote(models_app: typer.Typer) -> None:
    @models_app.command(name="promote")
    def promote(
        version: str = typer.Argument(..., help="A bundle under the model directory."),
        model_dir: Path | None = typer.Option(None, "--model-dir", help="[PDE_MODEL_DIR]"),
        reload: bool = typer.Option(
            True, "--reload/--no-reload", help="Ask the server at PDE_GRPC_ADDRESS to load it."
        ),
    ) -> None:
        """Make VERSION the champion and the current bundle (audited), then reload the server."""
        from pde.cli.console import console, error_console
        from pde.client.sync import RiskClient
        from pde.core.settings import get_settings
        from pde.jobs.models import promote as run

        settings = get_settings()
        directory = model_dir or settings.model_dir
        if reload:
            with RiskClient.from_settings(settings) as client:
                done = run(version, actor=CLI_ACTOR, model_dir=directory, client=client)
        else:
            done = run(version, actor=CLI_ACTOR, model_dir=directory)
        console().print(
            f"{done.version} is the champion and the current bundle (was {done.previous or 'none'})"
        )
        if done.served_version is not None:
            console().print(
                f"the scoring server at {settings.grpc_address} serves {done.served_version}"
            )
        if done.reload_error is not None:
            error_console().print(
                f"[yellow]warning:[/] the scoring server did not reload: {done.reload_error}; "
                "it loads the current bundle when it next starts",
                soft_wrap=True,
            )


def register(app: typer.Typer) -> None:
    models_app = typer.Typer(
        name="models", help="List model bundles and promote one.", no_args_is_help=True
    )
    _register_list(models_app)
    _register_promote(models_app)
    app.add_typer(models_app)

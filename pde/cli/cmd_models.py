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
        current = [bundle for bundle in found if bundle.is_current]
        if current and current[0].registry_status != "champion":
            console().print(
                f"[yellow]warning:[/] the current bundle {current[0].version} is not the"
                f" registry's champion: `pde models promote {current[0].version}` records it"
            )


def _register_compare(models_app: typer.Typer) -> None:
    @models_app.command(name="compare")
    def compare(
        challenger: str = typer.Argument(..., help="A bundle under the model directory."),
        champion: str | None = typer.Argument(None, help="[default: the current bundle]"),
        model_dir: Path | None = typer.Option(None, "--model-dir", help="[PDE_MODEL_DIR]"),
        data: Path | None = typer.Option(None, "--data", help="Canonical data [PDE_DATA_DIR]."),
    ) -> None:
        """CHALLENGER against CHAMPION on the portfolio: AUC on matured outcomes, alert
        overlap and the PSI between their scores on the latest scored date."""
        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.compare import compare_models

        settings = get_settings()
        found = compare_models(
            challenger,
            champion,
            model_dir=model_dir or settings.model_dir,
            data_dir=data or settings.data_dir,
        )

        def auc(value: float | None) -> str:
            return "–" if value is None else f"{value:.4f}"

        out = console()
        out.print(f"challenger {found.challenger} against champion {found.champion}")
        out.print(
            f"  held-out AUC (each bundle's test rows): {auc(found.held_out_auc[0])} against"
            f" {auc(found.held_out_auc[1])}"
        )
        if found.matured_date is None:
            out.print("  matured outcomes: none in the data yet")
        else:
            out.print(
                f"  AUC on the matured outcomes of {found.matured_date} ({found.matured_rows:,}"
                f" customers): {auc(found.matured_auc[0])} against {auc(found.matured_auc[1])}"
            )
        overlap = found.alert_overlap
        out.print(
            f"  {found.scored_date}, {found.customers:,} customers: alerts {found.alerts[0]:,}"
            f" against {found.alerts[1]:,}, {found.alerts_both:,} in both"
            + ("" if overlap is None else f" ({overlap:.0%} of the champion's)")
        )
        out.print(f"  PSI of the challenger's scores against the champion's: {found.score_psi:.3f}")
        shadow = found.shadow
        if shadow is None:
            out.print("  shadow run: none stored (serve it with --challenger to get one)")
            return
        out.print(
            f"shadow run ({len(shadow.dates)} dates, {shadow.dates[0]} to {shadow.latest}), "
            "from the stored scores:"
        )
        if shadow.matured_auc[0] is None:
            out.print(f"  AUC on matured outcomes: too few yet ({shadow.matured_rows:,} rows)")
        else:
            out.print(
                f"  AUC on the matured outcomes ({shadow.matured_rows:,} rows):"
                f" {auc(shadow.matured_auc[0])} against {auc(shadow.matured_auc[1])}"
            )
        overlap = shadow.alert_overlap
        out.print(
            f"  {shadow.latest}, {shadow.customers:,} customers: alerts {shadow.alerts[0]:,}"
            f" against {shadow.alerts[1]:,}, {shadow.alerts_both:,} in both"
            + ("" if overlap is None else f" ({overlap:.0%} of the champion's)")
        )
        out.print(
            f"  PSI of the challenger's scores against the champion's: {shadow.score_psi:.3f}"
        )


def _register_promote(models_app: typer.Typer) -> None:
    @models_app.command(name="promote")
    def promote(
        version: str = typer.Argument(..., help="A bundle under the model directory."),
        model_dir: Path | None = typer.Option(None, "--model-dir", help="[PDE_MODEL_DIR]"),
        reload: bool = typer.Option(
            True, "--reload/--no-reload", help="Ask the server at PDE_GRPC_ADDRESS to load it."
        ),
        force: str | None = typer.Option(
            None,
            "--force",
            metavar="REASON",
            help="Promote although the gate refuses it; the reason is audited.",
        ),
    ) -> None:
        """Make VERSION the champion and the current bundle (audited), then reload the server.

        The gate: VERSION's held-out AUC, and its realised AUC on the matured rows both models
        scored, may be below the champion's by at most PDE_PROMOTION_AUC_TOLERANCE."""
        from pde.cli.console import console, error_console
        from pde.client.sync import RiskClient
        from pde.core.settings import get_settings
        from pde.jobs.models import promote as run

        settings = get_settings()
        directory = model_dir or settings.model_dir
        if reload:
            with RiskClient.from_settings(settings) as client:
                done = run(
                    version,
                    actor=CLI_ACTOR,
                    model_dir=directory,
                    client=client,
                    force_reason=force,
                )
        else:
            done = run(version, actor=CLI_ACTOR, model_dir=directory, force_reason=force)
        for check in done.checks:
            console().print(f"  gate: {check.describe()}")
        if done.forced_reason is not None:
            console().print(f"[yellow]forced[/] past the gate: {done.forced_reason} (audited)")
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
        name="models", help="List, compare and promote model bundles.", no_args_is_help=True
    )
    _register_list(models_app)
    _register_compare(models_app)
    _register_promote(models_app)
    app.add_typer(models_app)

"""Placeholder for a subcommand whose capability has not been built yet."""

from __future__ import annotations

import typer

from pde.errors import NotBuiltError


def register_not_built(app: typer.Typer, name: str, summary: str, *, parent: str = "pde") -> None:
    """Adds `name` as a command that accepts anything and exits 1 with a one-line message."""

    @app.command(
        name=name,
        help=f"{summary} (not built yet)",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def _not_built(ctx: typer.Context) -> None:
        raise NotBuiltError(
            f"`{parent} {name}` is not built yet: {summary.lower()} comes in a later release"
        )

"""Placeholder for a subcommand whose capability has not been built yet."""

from __future__ import annotations

import typer

from pde.core.errors import NotBuiltError

# Names ("pde x", "pde bench y") registered as not built; `pde demo` skips their stages.
NOT_BUILT: set[str] = set()


def register_not_built(app: typer.Typer, name: str, summary: str, *, parent: str = "pde") -> None:
    """Adds `name` as a command that accepts anything and exits 1 with a one-line message."""
    NOT_BUILT.add(f"{parent} {name}")

    @app.command(
        name=name,
        help=f"{summary} (not built yet)",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def _not_built(ctx: typer.Context) -> None:
        raise NotBuiltError(
            f"`{parent} {name}` is not built yet: {summary.lower()} comes in a later release"
        )

"""`pde frontend`: start the risk officers' Dash app (waitress, a production WSGI server)."""

from __future__ import annotations

import typer

from pde.cli.console import console
from pde.core.settings import get_settings


def frontend(
    threads: int = typer.Option(8, "--threads", min=1, max=64, help="Request threads."),
    session_minutes: float | None = typer.Option(
        None,
        "--session-minutes",
        min=1.0,
        help="Idle minutes before sign-out (default: PDE_SESSION_MINUTES).",
    ),
) -> None:
    """Start the Dash app on PDE_FRONTEND_HOST:PDE_FRONTEND_PORT."""
    from waitress import serve

    from pde.frontend.app import create_app

    settings = get_settings()
    app = create_app(settings, session_minutes=session_minutes)
    url = f"http://{settings.frontend_host}:{settings.frontend_port}/"
    console().print(f"risk console on {url} (scoring at {settings.grpc_address}); Ctrl-C stops")
    serve(
        app.server,
        host=settings.frontend_host,
        port=settings.frontend_port,
        threads=threads,
        ident="pde-frontend",
    )


def register(app: typer.Typer) -> None:
    app.command(name="frontend")(frontend)

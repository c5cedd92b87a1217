"""`pde frontend`: start the risk officers' Dash app under gunicorn (a production WSGI server):
`--workers` processes of `--threads` threads each. Sessions live in the database; with
PDE_REDIS_URL the processes also share their cached portfolio figures."""

from __future__ import annotations

from typing import Any

import typer

from pde.cli.console import console
from pde.core.settings import Settings, get_settings


def gunicorn_app(
    settings: Settings, *, workers: int, threads: int, session_minutes: float | None
) -> Any:
    """A gunicorn application whose every worker process builds its own app (after the fork:
    engines, threads and the cache connection are not shared across processes)."""
    from gunicorn.app.base import BaseApplication

    class FrontendApplication(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{settings.frontend_host}:{settings.frontend_port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 20,
                "keepalive": 5,
                "proc_name": "pde-frontend",
                "accesslog": None,
                "loglevel": settings.log_level.lower(),
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from pde.frontend.app import create_app

            return create_app(settings, session_minutes=session_minutes).server

    return FrontendApplication()


def frontend(
    workers: int = typer.Option(2, "--workers", min=1, max=32, help="Worker processes."),
    threads: int = typer.Option(8, "--threads", min=1, max=64, help="Threads per worker."),
    session_minutes: float | None = typer.Option(
        None,
        "--session-minutes",
        min=1.0,
        help="Idle minutes before sign-out (default: PDE_SESSION_MINUTES).",
    ),
) -> None:
    """Start the Dash app on PDE_FRONTEND_HOST:PDE_FRONTEND_PORT."""
    settings = get_settings()
    settings.app_secret()  # refuse the placeholder before forking workers
    url = f"http://{settings.frontend_host}:{settings.frontend_port}/"
    shared = "shared through Redis" if settings.redis_url else "per process (no PDE_REDIS_URL)"
    console().print(
        f"risk console on {url} ({workers} workers x {threads} threads, cache {shared};"
        f" scoring at {settings.grpc_address}); Ctrl-C stops"
    )
    gunicorn_app(settings, workers=workers, threads=threads, session_minutes=session_minutes).run()


def register(app: typer.Typer) -> None:
    app.command(name="frontend")(frontend)

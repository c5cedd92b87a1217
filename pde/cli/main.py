"""Builds the `pde` command from one module per subcommand and maps errors to messages."""

from __future__ import annotations

import sys

import typer

from pde import __version__
from pde.cli import commands
from pde.cli.console import error_console
from pde.core.errors import PdeError
from pde.core.logs import configure_logging
from pde.core.settings import SettingsError, get_settings


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pde {__version__}")
        raise typer.Exit()


def _setup(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Pre-Delinquency Risk Engine: who is likely to miss a payment in the next 30 days, and why."""
    configure_logging(get_settings().log_level)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="pde",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        callback=_setup,
    )
    commands.register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; user errors become one line on stderr and exit code 1 (2 for usage)."""
    app = build_app()
    try:
        app(args=argv, prog_name="pde", standalone_mode=False)
    except (PdeError, SettingsError) as exc:
        error_console().print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        error_console().print("aborted")
        return 130
    except KeyboardInterrupt:
        error_console().print("interrupted")
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except typer.TyperException as exc:  # usage errors, in non-standalone mode
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(exc, "exit_code", 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

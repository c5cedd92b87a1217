"""`pde db`: migrate, seed and verify the operational database."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from pde.core.errors import PdeError

CLI_ACTOR = "system:cli"


def _register_schema(db_app: typer.Typer) -> None:
    @db_app.command(name="upgrade")
    def upgrade(
        revision: str = typer.Argument("head", help="Target revision (default: the latest)."),
    ) -> None:
        """Apply the migrations up to REVISION."""
        from pde.cli.console import console
        from pde.db import migrate

        migrate.upgrade(revision)
        console().print(f"database at revision {migrate.current_revision()}")

    @db_app.command(name="downgrade")
    def downgrade(
        revision: str = typer.Argument(
            ..., help="Target revision: an id, -1, or base (drops all)."
        ),
        yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    ) -> None:
        """Revert the migrations down to REVISION (tables dropped lose their data)."""
        from pde.cli.console import console
        from pde.db import migrate

        if not yes and not typer.confirm(f"Revert the database to {revision}? Data may be lost"):
            raise typer.Abort()
        migrate.downgrade(revision)
        console().print(f"database at revision {migrate.current_revision() or 'base (empty)'}")

    @db_app.command(name="current")
    def current() -> None:
        """Show the database's revision and the latest one."""
        from pde.cli.console import console
        from pde.db import migrate

        now, head = migrate.current_revision(), migrate.head_revision()
        state = "up to date" if now == head else "run pde db upgrade"
        console().print(f"current {now or 'none'}, latest {head}: {state}")


def _register_audit(db_app: typer.Typer) -> None:
    @db_app.command(name="verify-audit")
    def verify_audit(
        expect_head: str | None = typer.Option(
            None, "--expect-head", help="A head hash printed earlier; must still be in the chain."
        ),
    ) -> None:
        """Recompute the audit hash chain; fail if a row was edited, inserted, deleted or moved."""
        from pde.cli.console import console
        from pde.db.audit import verify_chain
        from pde.db.engine import session_scope
        from pde.db.errors import AuditChainError

        with session_scope() as session:
            report = verify_chain(session, expect_head=expect_head)
        out = console()
        for problem in report.problems:
            out.print(f"[red]BROKEN[/] {problem}", soft_wrap=True)
        if report.more_problems:
            out.print(f"... and {report.more_problems} more problems")
        if not report.ok:
            raise AuditChainError(
                f"audit chain broken: {len(report.problems) + report.more_problems} problems "
                f"in {report.rows} rows"
            )
        out.print(
            f"audit chain intact: {report.rows} rows; head {report.head_hash}", soft_wrap=True
        )


def _register_data(db_app: typer.Typer) -> None:
    @db_app.command(name="load-customers")
    def load_customers(
        data_dir: Path | None = typer.Option(None, "--data-dir", help="[PDE_DATA_DIR]"),
    ) -> None:
        """Load or refresh customers (profile and exposure) from the canonical data."""
        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs import customers

        data = data_dir or get_settings().data_dir
        count = customers.load_customers(data_dir=data, actor=CLI_ACTOR)
        console().print(f"loaded {count:,} customers")

    @db_app.command(name="seed-demo")
    def seed_demo(
        data_dir: Path | None = typer.Option(None, "--data-dir", help="[PDE_DATA_DIR]"),
        interventions: int = typer.Option(80, min=0, help="Customers given a work history."),
        seed: int = typer.Option(7, help="Random seed of the history (passwords stay random)."),
    ) -> None:
        """Demo staff with one-time passwords, customers, owners and a history of work."""
        from rich.table import Table

        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.seed import seed_demo_from_data

        summary = seed_demo_from_data(
            data_dir=data_dir or get_settings().data_dir, interventions=interventions, seed=seed
        )
        table = Table(title="Demo users: one-time passwords, shown only now")
        for column in ("username", "role", "password"):
            table.add_column(column)
        for user in summary.users:
            table.add_row(user.username, user.role.value, user.password)
        out = console()
        out.print(table)
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.interventions.items()))
        out.print(
            f"{summary.customers:,} customers, {summary.assignments:,} assignments, "
            f"{sum(summary.interventions.values())} interventions ({statuses}), "
            f"{summary.outcomes} outcomes"
        )

    @db_app.command(name="create-user")
    def create_user(
        username: str = typer.Argument(..., help="Lower-case login name."),
        role: str = typer.Option(..., "--role", help="officer, supervisor or admin."),
        full_name: str = typer.Option(..., "--full-name", help="Name shown in the app."),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="Read the password from stdin instead of generating."
        ),
    ) -> None:
        """Add a user; a generated one-time password is printed once."""
        from pydantic import ValidationError

        from pde.cli.console import console
        from pde.db import users
        from pde.db.engine import session_scope
        from pde.db.models import Role, UserCreate

        try:
            role_value = Role(role)
        except ValueError:
            raise PdeError(f"--role {role!r}: expected officer, supervisor or admin") from None
        password = (
            sys.stdin.readline().rstrip("\n") if password_stdin else users.generate_password()
        )
        try:
            data = UserCreate(
                username=username, full_name=full_name, role=role_value, password=password
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise PdeError(f"{first['loc'][0]}: {first['msg']}") from None
        with session_scope() as session:
            users.create_user(session=session, data=data, actor=CLI_ACTOR)
        console().print(f"created {role_value.value} {data.username}")
        if not password_stdin:
            console().print(f"one-time password (shown once): {password}")

    @db_app.command(name="reset-password")
    def reset_password(
        username: str = typer.Argument(..., help="The user whose password is forgotten."),
    ) -> None:
        """Give USER a new one-time password (printed once; changed at the next sign-in): the
        user's sessions end and a login lockout is lifted; audited."""
        from pde.cli.console import console
        from pde.db import login, users
        from pde.db.engine import session_scope

        with session_scope() as session:
            password = users.reset_password(session=session, username=username, actor=CLI_ACTOR)
            login.unlock(session, username=username)
        console().print(f"{username}: sessions ended; they must choose a new password")
        console().print(f"one-time password (shown once): {password}")

    @db_app.command(name="set-model-status")
    def set_model_status(
        version: str = typer.Argument(..., help="Registered model version."),
        status: str = typer.Argument(..., help="challenger or retired."),
    ) -> None:
        """Mark a model version challenger or retired (promotion: `pde models promote`)."""
        from pde.cli.console import console
        from pde.db.engine import session_scope
        from pde.db.model_registry import set_status
        from pde.db.models import ModelStatus

        try:
            value = ModelStatus(status)
        except ValueError:
            raise PdeError(f"{status!r}: expected challenger or retired") from None
        if value is ModelStatus.CHAMPION:
            raise PdeError(
                f"promotion has one path: `pde models promote {version}` checks the bundle,"
                " moves `current`, records the champion and reloads the server"
            )
        with session_scope() as session:
            set_status(session=session, version=version, status=value, actor=CLI_ACTOR)
        console().print(f"model {version} is now {value.value}")


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(
        name="db", help="Migrate, seed and verify the operational database.", no_args_is_help=True
    )
    _register_schema(db_app)
    _register_audit(db_app)
    _register_data(db_app)
    app.add_typer(db_app)

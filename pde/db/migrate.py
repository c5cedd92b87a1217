"""Alembic, driven from Python: `pde db upgrade|downgrade|current` and the tests use this."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from pde.db.engine import get_engine
from pde.db.errors import MigrationError

_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def migrations_dir() -> Path:
    """`migrations/` beside the package (source tree) or in the working directory (images)."""
    for root in (_SOURCE_ROOT, Path.cwd()):
        candidate = root / "migrations"
        if (candidate / "env.py").is_file():
            return candidate
    raise MigrationError(
        "migrations/ not found beside the pde package nor in the current directory; "
        "run pde db from the project root"
    )


def alembic_config() -> Config:
    """Config for `migrations/`; `alembic.ini` is read when present (logging is left to pde)."""
    ini = migrations_dir().parent / "alembic.ini"
    config = Config(str(ini) if ini.is_file() else None, stdout=io.StringIO())
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["configure_logger"] = False
    return config


def _run(engine: Engine | None, action: str, revision: str) -> None:
    config = alembic_config()
    with (engine or get_engine()).begin() as connection:
        config.attributes["connection"] = connection
        if action == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)


def upgrade(revision: str = "head", *, engine: Engine | None = None) -> None:
    """Applies migrations up to `revision` (default: the latest)."""
    _run(engine, "upgrade", revision)


def downgrade(revision: str, *, engine: Engine | None = None) -> None:
    """Reverts migrations down to `revision` (`base` removes every table)."""
    _run(engine, "downgrade", revision)


def current_revision(*, engine: Engine | None = None) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The latest revision in migrations/versions."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError("no migration found in migrations/versions")
    return head

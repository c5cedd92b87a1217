"""Fixtures shared by the whole suite: real PostgreSQL, empty and migrated databases, a small
simulated canonical data directory, and the shared datasets.

Outside CI a missing PostgreSQL or `../shared/data` skips the tests that need it, with the
reason; with CI=true they fail instead, so a green CI always means they ran. PostgreSQL tests
run in a schema of their own (`pde_test_<random>`, via the connection's search_path) dropped
afterwards, so parallel runs never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
DATABASE_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this must run in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server used by the `postgres` tests."""
    url = os.environ.get("PDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    import sqlalchemy as sa

    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # the driver's error types vary
        skip_or_fail(f"PostgreSQL unreachable at {url}: {type(exc).__name__}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`, present beside the project in CI and on developers' machines."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"{SHARED_DATA} not found: the shared datasets are not beside this clone")
    return SHARED_DATA


class Database:
    """An empty database (or schema) and how to reach it."""

    def __init__(self, *, backend: str, url: str, schema: str | None) -> None:
        self.backend = backend
        self.url = url
        self.schema = schema
        self.engine = self.connect()

    def connect(self) -> Engine:
        from pde.db.engine import make_engine

        args = {"options": f"-csearch_path={self.schema}"} if self.schema else None
        return make_engine(self.url, connect_args=args)

    def scope(self) -> AbstractContextManager[Session]:
        from pde.db.engine import session_scope

        return session_scope(engine=self.engine)


def _run_admin_sql(url: str, sql: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(sql))
    admin.dispose()


@pytest.fixture
def make_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Database]]:
    """Factory of empty databases: `make_database("sqlite")` or `make_database("postgres")`."""
    made: list[Database] = []

    def make(backend: str) -> Database:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/pde{len(made)}.db"
            database = Database(backend=backend, url=url, schema=None)
        else:
            url = request.getfixturevalue("postgres_url")
            schema = f"pde_test_{uuid.uuid4().hex[:12]}"
            _run_admin_sql(url, f"CREATE SCHEMA {schema}")
            database = Database(backend=backend, url=url, schema=schema)
        made.append(database)
        return database

    yield make
    for database in made:
        database.engine.dispose()
        if database.schema:
            _run_admin_sql(database.url, f"DROP SCHEMA IF EXISTS {database.schema} CASCADE")


@pytest.fixture(params=DATABASE_BACKENDS)
def empty_db(request: pytest.FixtureRequest, make_database: Callable[[str], Database]) -> Database:
    """An empty database on each backend."""
    return make_database(request.param)


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A migrated database (head) on each backend."""
    from pde.db import migrate

    migrate.upgrade(engine=empty_db.engine)
    return empty_db


@pytest.fixture(scope="session")
def canonical_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated canonical data directory (150 customers, 8 weeks)."""
    from pde.training.data.simulate import SimulationConfig, simulate

    out = tmp_path_factory.mktemp("canonical") / "data"
    simulate(SimulationConfig(customers=150, weeks=8, seed=3), out)
    return out

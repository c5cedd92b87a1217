"""Databases for the pde.db tests: a fresh SQLite file, and a fresh PostgreSQL schema per test.

PostgreSQL tests run in a schema of their own (`pde_test_<random>`, via the connection's
search_path) dropped afterwards, so parallel runs never see each other's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pde.db import migrate
from pde.db.engine import make_engine, session_scope
from pde.db.models import Customer, Role, User
from pde.db.users import hash_password

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
PASSWORD = "correct horse battery"
USERS = {
    "admin": Role.ADMIN,
    "sup1": Role.SUPERVISOR,
    "sup2": Role.SUPERVISOR,
    "off1": Role.OFFICER,
    "off2": Role.OFFICER,
}


class Database:
    """An empty database (or schema) and how to reach it."""

    def __init__(self, *, backend: str, url: str, schema: str | None) -> None:
        self.backend = backend
        self.url = url
        self.schema = schema
        self.engine = self.connect()

    def connect(self) -> Engine:
        args = {"options": f"-csearch_path={self.schema}"} if self.schema else None
        return make_engine(self.url, connect_args=args)

    def scope(self) -> AbstractContextManager[Session]:
        return session_scope(engine=self.engine)


def _postgres_schema(url: str) -> str:
    schema = f"pde_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return schema


def _drop_schema(url: str, schema: str) -> None:
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def make_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Database]]:
    """Factory of empty databases: `make_database("sqlite")` or `make_database("postgres")`."""
    made: list[Database] = []

    def make(backend: str) -> Database:
        if backend == "sqlite":
            db = Database(
                backend=backend, url=f"sqlite:///{tmp_path}/pde{len(made)}.db", schema=None
            )
        else:
            url = request.getfixturevalue("postgres_url")
            db = Database(backend=backend, url=url, schema=_postgres_schema(url))
        made.append(db)
        return db

    yield make
    for db in made:
        db.engine.dispose()
        if db.schema:
            _drop_schema(db.url, db.schema)


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, make_database: Callable[[str], Database]) -> Database:
    """An empty database on each backend."""
    return make_database(request.param)


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A migrated database (head) on each backend."""
    migrate.upgrade(engine=empty_db.engine)
    return empty_db


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


def new_customer(session: Session, customer_id: str) -> Customer:
    customer = Customer(
        customer_id=customer_id,
        open_date=date(2020, 1, 15),
        birth_year=1985,
        income_bracket="middle",
        employment_type="salaried",
        region="R01",
        product="credit_card",
        credit_limit=Decimal("5000.00"),
        outstanding_balance=Decimal("1234.56"),
        monthly_obligation=Decimal("250.00"),
    )
    session.add(customer)
    return customer


@pytest.fixture
def staffed_db(db: Database, password_hash: str) -> Database:
    """A migrated database with users (admin, sup1, sup2, off1, off2) and customers C001-C003."""
    with db.scope() as session:
        for username, role in USERS.items():
            session.add(
                User(
                    username=username,
                    full_name=username.title(),
                    role=role,
                    password_hash=password_hash,
                )
            )
        for n in range(1, 4):
            new_customer(session, f"C{n:03d}")
    return db


@pytest.fixture(scope="session")
def canonical_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated canonical data directory (150 customers, 8 weeks)."""
    from pde.training.data.simulate import SimulationConfig, simulate

    out = tmp_path_factory.mktemp("canonical") / "data"
    simulate(SimulationConfig(customers=150, weeks=8, seed=3), out)
    return out


@pytest.fixture
def add_customer() -> Callable[[Session, str], Customer]:
    """Adds a customer with a plain profile to the session (not flushed)."""
    return new_customer


@pytest.fixture
def password() -> str:
    """The password of the staff in `staffed_db`."""
    return PASSWORD

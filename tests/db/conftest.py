"""Staff and customers for the pde.db tests (the databases themselves: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from pde.db.models import Customer, Role, User
from pde.db.users import hash_password

PASSWORD = "correct horse battery"
USERS = {
    "admin": Role.ADMIN,
    "sup1": Role.SUPERVISOR,
    "sup2": Role.SUPERVISOR,
    "off1": Role.OFFICER,
    "off2": Role.OFFICER,
}


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
def staffed_db(db: Any, password_hash: str) -> Any:
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


@pytest.fixture
def add_customer() -> Callable[[Session, str], Customer]:
    """Adds a customer with a plain profile to the session (not flushed)."""
    return new_customer


@pytest.fixture
def password() -> str:
    """The password of the staff in `staffed_db`."""
    return PASSWORD

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from pde.db import customers
from pde.db.errors import ConstraintViolationError, NotFoundError, PermissionDeniedError
from pde.db.models import Customer, CustomerAssignment


def test_customers_load_from_canonical_data_and_refresh(db, canonical_dir: Path) -> None:
    records = customers.read_customer_records(canonical_dir)
    assert len(records) == 150
    with db.scope() as s:
        assert customers.upsert_customers(session=s, records=records, actor="admin") == 150
    changed = [dict(records[0], outstanding_balance=123.456)]
    with db.scope() as s:
        customers.upsert_customers(session=s, records=changed, actor="admin")
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 150
        row = s.get(Customer, records[0]["customer_id"])
        assert row.outstanding_balance == Decimal("123.46")  # money is exact, to the cent


def test_customers_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(customers.DataMissingError, match="run pde simulate first"):
        customers.read_customer_records(tmp_path)


def test_customers_assignment_moves_ownership(staffed_db) -> None:
    with staffed_db.scope() as s:
        customers.assign_customer(session=s, customer_id="C001", officer="off1", actor="sup1")
    with staffed_db.scope() as s:
        customers.assign_customer(session=s, customer_id="C001", officer="off2", actor="sup2")
    with staffed_db.scope() as s:
        assert customers.current_officer(s, "C001") == "off2"
        history = s.exec(select(CustomerAssignment).order_by(col(CustomerAssignment.id))).all()
        assert [h.officer for h in history] == ["off1", "off2"]
        assert history[0].ended_at is not None and history[1].ended_at is None


def test_customers_assignment_rules(staffed_db) -> None:
    with staffed_db.scope() as s, pytest.raises(PermissionDeniedError):
        customers.assign_customer(session=s, customer_id="C001", officer="off1", actor="off2")
    with staffed_db.scope() as s, pytest.raises(NotFoundError, match="customer 'NOPE'"):
        customers.assign_customer(session=s, customer_id="NOPE", officer="off1", actor="sup1")


def test_customers_one_open_owner_enforced_by_database(staffed_db) -> None:
    with pytest.raises(ConstraintViolationError, match="unique"), staffed_db.scope() as s:
        for officer in ("off1", "off2"):
            s.add(CustomerAssignment(customer_id="C002", officer=officer, assigned_by="sup1"))
            s.flush()


def test_customers_duplicate_key_names_the_constraint(staffed_db, add_customer) -> None:
    expected = "customers_pkey" if staffed_db.backend == "postgres" else "customers.customer_id"
    with pytest.raises(ConstraintViolationError, match=expected), staffed_db.scope() as s:
        add_customer(s, "C001")


def test_customers_negative_exposure_refused_by_check(staffed_db, add_customer) -> None:
    match = "ck_customers_exposure_non_negative"
    with pytest.raises(ConstraintViolationError, match=match), staffed_db.scope() as s:
        add_customer(s, "C009").credit_limit = Decimal("-1")

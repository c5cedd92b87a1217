from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from sqlmodel import col, func, select

from pde.db import customers
from pde.db.errors import ConstraintViolationError, NotFoundError, PermissionDeniedError
from pde.db.models import AuditEntry, Customer, CustomerAssignment


def _record(customer_id: str, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "customer_id": customer_id,
        "open_date": "2021-03-04",
        "birth_year": 1979,
        "income_bracket": "middle",
        "employment_type": "salaried",
        "region": "R02",
        "product": "personal_loan",
        "credit_limit": 8000.0,
        "outstanding_balance": 4100.0,
        "monthly_obligation": 310.5,
        "declared_income": None,
    }
    return record | changes


def test_customers_upsert_inserts_then_refreshes(db) -> None:
    records = [_record(f"K{n:03d}") for n in range(1, 6)]
    with db.scope() as s:
        assert customers.upsert_customers(session=s, records=records, actor="admin") == 5
    changed = [_record("K001", outstanding_balance=123.456, region="R09")]
    with db.scope() as s:
        customers.upsert_customers(session=s, records=changed, actor="admin")
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 5
        row = s.get(Customer, "K001")
        assert row.outstanding_balance == Decimal("123.46")  # money is exact, to the cent
        assert row.region == "R09"
        assert row.open_date == date(2021, 3, 4)
        loads = s.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "customer.load")
            .order_by(col(AuditEntry.id))
        ).all()
        assert [entry.after for entry in loads] == [{"rows": 5}, {"rows": 1}]


def test_customers_records_of_a_frame_keep_the_profile_columns() -> None:
    frame = pl.DataFrame([_record("K001") | {"not_a_profile_column": 1}]).drop("declared_income")
    [record] = customers.customer_records(frame)
    assert set(record) == set(customers.PROFILE_COLUMNS)
    assert record["declared_income"] is None


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

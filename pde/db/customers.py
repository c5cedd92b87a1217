"""Customers: bulk upsert of profile and exposure rows, officer assignments."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from pde.db import audit
from pde.db.errors import NotFoundError
from pde.db.models.customer import Customer, CustomerAssignment
from pde.db.models.enums import Role
from pde.db.types import utc_now
from pde.db.users import require_role

log = logging.getLogger(__name__)

PROFILE_COLUMNS = (
    "customer_id",
    "open_date",
    "birth_year",
    "income_bracket",
    "employment_type",
    "region",
    "product",
    "credit_limit",
    "outstanding_balance",
    "monthly_obligation",
    "declared_income",
)
_MONEY = ("credit_limit", "outstanding_balance", "monthly_obligation", "declared_income")
CHUNK_ROWS = 5000


def customer_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The profile and exposure columns of a canonical customers frame, as upsert records."""
    present = [c for c in PROFILE_COLUMNS if c in frame.columns]
    records = frame.select(present).to_dicts()
    for record in records:
        record.setdefault("declared_income", None)
    return records


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 2)))


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def upsert_customers(*, session: Session, records: Sequence[dict[str, Any]], actor: str) -> int:
    """Inserts new customers and refreshes the profile/exposure of known ones; one audit row
    summarises the load (count and source), not one per customer."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utc_now()
    audit.lock_chain(session)
    for chunk in _chunks(records, CHUNK_ROWS):
        values = []
        for record in chunk:
            row = dict(record)
            for key in _MONEY:
                row[key] = _money(row[key])
            if not isinstance(row["open_date"], date):
                row["open_date"] = date.fromisoformat(str(row["open_date"]))
            values.append({**row, "created_at": now, "updated_at": now})
        stmt = insert(Customer.__table__)  # type: ignore[attr-defined]
        refreshed = {c: stmt.excluded[c] for c in PROFILE_COLUMNS[1:]} | {"updated_at": now}
        session.execute(
            stmt.on_conflict_do_update(index_elements=["customer_id"], set_=refreshed), values
        )
    audit.append(
        session,
        actor=actor,
        action="customer.load",
        entity_type="customer",
        entity_id="*",
        before=None,
        after={"rows": len(records)},
    )
    log.info("loaded %d customers", len(records))
    return len(records)


def current_officer(session: Session, customer_id: str) -> str | None:
    return session.exec(
        select(CustomerAssignment.officer).where(
            CustomerAssignment.customer_id == customer_id,
            col(CustomerAssignment.ended_at).is_(None),
        )
    ).one_or_none()


def assign_customer(
    *, session: Session, customer_id: str, officer: str, actor: str
) -> CustomerAssignment:
    """Makes `officer` the owner of `customer_id`, ending the previous ownership; audited."""
    audit.lock_chain(session)
    require_role(session, actor, Role.SUPERVISOR, Role.ADMIN)
    require_role(session, officer, Role.OFFICER, Role.SUPERVISOR)
    if session.get(Customer, customer_id) is None:
        raise NotFoundError(f"customer {customer_id!r} not found")
    now = utc_now()
    previous = session.exec(
        select(CustomerAssignment).where(
            CustomerAssignment.customer_id == customer_id,
            col(CustomerAssignment.ended_at).is_(None),
        )
    ).one_or_none()
    if previous is not None:
        previous.ended_at = now
        session.add(previous)
        session.flush()  # end it before the new open row (partial unique index)
    assignment = CustomerAssignment(
        customer_id=customer_id, officer=officer, assigned_by=actor, assigned_at=now
    )
    session.add(assignment)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="customer.assign",
        entity_type="customer",
        entity_id=customer_id,
        before={"officer": previous.officer} if previous else None,
        after={"officer": officer},
    )
    return assignment

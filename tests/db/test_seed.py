from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, func, select

from pde.db import migrate
from pde.db.audit import verify_chain
from pde.db.errors import DatabaseError, MigrationError
from pde.db.models import (
    Customer,
    CustomerAssignment,
    Intervention,
    InterventionOutcome,
    InterventionStatus,
    Role,
)
from pde.db.seed import seed_demo
from pde.db.users import authenticate

CUSTOMERS = 150


def _customers() -> list[dict[str, Any]]:
    return [
        {
            "customer_id": f"C{n:05d}",
            "open_date": "2019-06-01",
            "birth_year": 1960 + n % 40,
            "income_bracket": "middle",
            "employment_type": "salaried",
            "region": f"R{n % 5:02d}",
            "product": "credit_card",
            "credit_limit": 5000.0,
            "outstanding_balance": 1000.0 + n,
            "monthly_obligation": 100.0 + n / 3,
            "declared_income": None,
        }
        for n in range(CUSTOMERS)
    ]


# customers C00000-C00059 were late 1 to 6 times; the others never
LATE = {f"C{n:05d}": 1 + n % 6 for n in range(60)}


def test_seed_demo_fills_an_empty_database(db) -> None:
    summary = seed_demo(
        customers=_customers(), late_payments=LATE, engine=db.engine, interventions=30, seed=1
    )
    roles = [u.role for u in summary.users]
    assert roles.count(Role.ADMIN) == 1 and roles.count(Role.SUPERVISOR) == 2
    assert roles.count(Role.OFFICER) >= 3
    assert len({u.password for u in summary.users}) == len(summary.users)
    assert summary.customers == summary.assignments == CUSTOMERS
    assert sum(summary.interventions.values()) == 30 and len(summary.interventions) >= 3
    with db.scope() as s:
        first = summary.users[3]
        user = authenticate(s, username=first.username, password=first.password)
        assert user is not None and user.must_change_password
        assert s.exec(select(func.count()).select_from(Customer)).one() == CUSTOMERS
        open_owners = s.exec(
            select(func.count()).where(col(CustomerAssignment.ended_at).is_(None))
        ).one()
        assert open_owners == CUSTOMERS
        rows = s.exec(select(Intervention)).all()
        assert {r.status for r in rows} >= {
            InterventionStatus.COMPLETED,
            InterventionStatus.RECOMMENDED,
        }
        for r in rows:
            assert r.approved_by != r.created_by
            if r.status == InterventionStatus.COMPLETED:
                assert r.created_at < r.approved_at < r.assigned_at < r.started_at <= r.completed_at
        assert (
            s.exec(select(func.count()).select_from(InterventionOutcome)).one() == summary.outcomes
        )
        assert verify_chain(s).ok
        targets = set(s.exec(select(Intervention.customer_id)).all())
    # the work goes to those most often late
    assert min(LATE.get(t, 0) for t in targets) >= sorted(LATE.values())[-30]
    with pytest.raises(DatabaseError, match="already has users"):
        seed_demo(customers=_customers(), late_payments=LATE, engine=db.engine)


def test_seed_demo_needs_migrations(empty_db) -> None:
    migrate.upgrade("0002", engine=empty_db.engine)
    with pytest.raises(MigrationError, match="run pde db upgrade"):
        seed_demo(customers=_customers(), late_payments=LATE, engine=empty_db.engine)

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, func, select

from pde.db import migrate
from pde.db.audit import verify_chain
from pde.db.customers import DataMissingError
from pde.db.errors import DatabaseError, MigrationError
from pde.db.models import (
    Customer,
    CustomerAssignment,
    Intervention,
    InterventionOutcome,
    InterventionStatus,
    Role,
    User,
)
from pde.db.seed import _late_counts, seed_demo
from pde.db.users import authenticate


def test_seed_demo_fills_an_empty_database(db, canonical_dir: Path) -> None:
    summary = seed_demo(data_dir=canonical_dir, engine=db.engine, interventions=30, seed=1)
    roles = [u.role for u in summary.users]
    assert roles.count(Role.ADMIN) == 1 and roles.count(Role.SUPERVISOR) == 2
    assert roles.count(Role.OFFICER) >= 3
    assert len({u.password for u in summary.users}) == len(summary.users)
    assert summary.customers == summary.assignments == 150
    assert sum(summary.interventions.values()) == 30 and len(summary.interventions) >= 3
    with db.scope() as s:
        first = summary.users[3]
        user = authenticate(s, username=first.username, password=first.password)
        assert user is not None and user.must_change_password
        assert s.exec(select(func.count()).select_from(Customer)).one() == 150
        open_owners = s.exec(
            select(func.count()).where(col(CustomerAssignment.ended_at).is_(None))
        ).one()
        assert open_owners == 150
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
    late = _late_counts(canonical_dir)  # the work goes to those most often late
    assert min(late.get(t, 0) for t in targets) >= sorted(late.values())[-30]
    with pytest.raises(DatabaseError, match="already has users"):
        seed_demo(data_dir=canonical_dir, engine=db.engine)


def test_seed_demo_without_data_says_run_simulate(db, tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match="run pde simulate first"):
        seed_demo(data_dir=tmp_path / "nothing", engine=db.engine)
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(User)).one() == 0


def test_seed_demo_needs_migrations(empty_db, canonical_dir: Path) -> None:
    migrate.upgrade("0002", engine=empty_db.engine)
    with pytest.raises(MigrationError, match="run pde db upgrade"):
        seed_demo(data_dir=canonical_dir, engine=empty_db.engine)

"""The demo seed job on a simulated canonical data directory and a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from pde.db import migrate
from pde.db.errors import MigrationError
from pde.db.models import Customer, Intervention, User
from pde.jobs.customers import DataMissingError, late_payment_counts
from pde.jobs.seed import seed_demo_from_data


def test_seed_demo_from_data_gives_the_work_to_the_most_late(db, canonical_dir: Path) -> None:
    summary = seed_demo_from_data(data_dir=canonical_dir, engine=db.engine, interventions=30)
    assert summary.customers == summary.assignments == 150
    assert sum(summary.interventions.values()) == 30
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 150
        targets = set(s.exec(select(Intervention.customer_id)).all())
    late = late_payment_counts(canonical_dir)
    assert min(late.get(t, 0) for t in targets) >= sorted(late.values())[-30]


def test_seed_demo_from_data_without_data_says_run_simulate(db, tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match="run pde simulate first"):
        seed_demo_from_data(data_dir=tmp_path / "nothing", engine=db.engine)
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(User)).one() == 0


def test_seed_demo_from_data_needs_migrations(empty_db, canonical_dir: Path) -> None:
    migrate.upgrade("0002", engine=empty_db.engine)
    with pytest.raises(MigrationError, match="run pde db upgrade"):
        seed_demo_from_data(data_dir=canonical_dir, engine=empty_db.engine)

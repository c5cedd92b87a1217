"""The demo seed job: reads customers and their late payments from the canonical data, then
seeds an empty database with staff, owners and a work history (`pde.db.seed`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from pde.db.seed import SeedSummary, seed_demo
from pde.jobs.customers import late_payment_counts, read_customer_records


def seed_demo_from_data(
    *, data_dir: Path, engine: Engine | None = None, interventions: int = 80, seed: int = 7
) -> SeedSummary:
    """Seeds an empty, migrated database from `data_dir`; returns the one-time passwords."""
    return seed_demo(
        customers=read_customer_records(data_dir),
        late_payments=late_payment_counts(data_dir),
        engine=engine,
        interventions=interventions,
        seed=seed,
    )

"""Typed handles on the tables, for SQL aggregates written with SQLAlchemy Core."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from pde.db.models import (
    AuditEntry,
    Customer,
    CustomerAssignment,
    Intervention,
    InterventionOutcome,
    ModelVersion,
    RiskScore,
    ScoringRun,
    User,
)


def _table(model: object) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


RS = _table(RiskScore)
CUST = _table(Customer)
ASG = _table(CustomerAssignment)
IV = _table(Intervention)
OUT = _table(InterventionOutcome)
AUDIT = _table(AuditEntry)
USERS = _table(User)
MV = _table(ModelVersion)
RUNS = _table(ScoringRun)

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
    PromiseToPay,
    RiskScore,
    ScoringRun,
    TreatmentOutcome,
    User,
)


def _table(model: object) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


RISK_SCORES = _table(RiskScore)
CUSTOMERS = _table(Customer)
ASSIGNMENTS = _table(CustomerAssignment)
INTERVENTIONS = _table(Intervention)
OUTCOMES = _table(InterventionOutcome)
AUDIT_LOG = _table(AuditEntry)
USERS = _table(User)
MODEL_VERSIONS = _table(ModelVersion)
SCORING_RUNS = _table(ScoringRun)
TREATMENTS = _table(TreatmentOutcome)
PROMISES = _table(PromiseToPay)

"""Treatment outcomes in the operational database: record assignments, count cures per arm.

Success is `pde.decision.outcomes`'s one definition (cured within 30 days). The caller owns
the transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from pde.db.batches import id_batches
from pde.db.models.treatment import TreatmentOutcome, TreatmentOutcomeCreate
from pde.decision.outcomes import SUCCESS


def add_outcomes(*, session: Session, rows: Sequence[TreatmentOutcomeCreate]) -> int:
    """Adds the assignments not recorded yet (by `assignment_id`); the number added.

    A recorded outcome is a fact: loading the same file twice adds nothing."""
    known = recorded_ids(session=session, ids=[row.assignment_id for row in rows])
    fresh = {row.assignment_id: row for row in rows if row.assignment_id not in known}
    session.add_all(TreatmentOutcome.model_validate(row) for row in fresh.values())
    session.flush()
    return len(fresh)


def recorded_ids(*, session: Session, ids: Sequence[str]) -> set[str]:
    """The assignment ids among `ids` already recorded."""
    known: set[str] = set()
    for batch in id_batches(ids):
        query = select(TreatmentOutcome.assignment_id).where(
            col(TreatmentOutcome.assignment_id).in_(batch)
        )
        known.update(session.exec(query).all())
    return known


@dataclass(frozen=True)
class ArmCount:
    """Assignments of one arm and how many were cured within 30 days."""

    arm: str
    assigned: int
    cured: int
    cost: float

    @property
    def cure_rate(self) -> float:
        return self.cured / self.assigned if self.assigned else float("nan")


def arm_counts(
    *, session: Session, since: date | None = None, until: date | None = None
) -> list[ArmCount]:
    """Per arm: assignments, cures and total cost, assigned in [since, until]."""
    cured = sa.func.sum(sa.case((col(TreatmentOutcome.outcome) == SUCCESS, 1), else_=0))
    query = select(
        TreatmentOutcome.action,
        sa.func.count(),
        cured,
        sa.func.sum(TreatmentOutcome.cost),
    ).group_by(TreatmentOutcome.action)
    if since is not None:
        query = query.where(col(TreatmentOutcome.assigned_on) >= since)
    if until is not None:
        query = query.where(col(TreatmentOutcome.assigned_on) <= until)
    return [
        ArmCount(str(arm), int(n), int(c or 0), float(cost or 0.0))
        for arm, n, c, cost in session.exec(query).all()
    ]

"""`treatment_outcomes`: the arm each customer was assigned on a date and its 30-day outcome.

The history the uplift models learn from and the control group's cure rate every ROI
subtracts: imported from a bank's (or the simulator's) `interventions` file, and, later, the
recommender's own assignments and holdout.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.contracts.interventions import ARMS, ASSIGNMENTS, OUTCOMES
from pde.db.types import UTCDateTime, utc_now


def _check(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_treatment_outcomes_{column}")


class TreatmentOutcomeBase(SQLModel):
    assignment_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=64)
    assigned_on: date
    action: str = Field(max_length=32)
    assignment: str = Field(max_length=16)
    reached: bool
    outcome: str = Field(max_length=16)
    cost: float = Field(ge=0.0)
    source: str = Field(max_length=64)


class TreatmentOutcomeCreate(TreatmentOutcomeBase):
    pass


class TreatmentOutcome(TreatmentOutcomeBase, table=True):
    """One assignment (an action or the control `none`) and its 30-day outcome."""

    __tablename__ = "treatment_outcomes"
    __table_args__ = (
        _check("action", ARMS),
        _check("assignment", ASSIGNMENTS),
        _check("outcome", OUTCOMES),
        sa.CheckConstraint("cost >= 0", name="ck_treatment_outcomes_cost_non_negative"),
        sa.Index("ix_treatment_outcomes_action_assigned_on", "action", "assigned_on"),
        sa.Index("ix_treatment_outcomes_customer_id", "customer_id"),
    )

    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)

"""Treatment outcomes: each customer's assigned arm on a date and its 30-day outcome (the
history uplift models learn from, and the control group every ROI subtracts).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The closed sets as they were when this revision was written (a later change is a new one).
ARMS = (
    "none",
    "soft_reminder",
    "agent_call",
    "payment_plan",
    "restructuring",
    "payment_holiday",
    "financial_counselling",
)
ASSIGNMENTS = ("random", "rule", "holdout", "policy")
OUTCOMES = ("cured", "missed", "no_response")


def _check(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_treatment_outcomes_{column}")


def upgrade() -> None:
    op.create_table(
        "treatment_outcomes",
        sa.Column("assignment_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("assignment", sa.String(16), nullable=False),
        sa.Column("reached", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _check("action", ARMS),
        _check("assignment", ASSIGNMENTS),
        _check("outcome", OUTCOMES),
        sa.CheckConstraint("cost >= 0", name="ck_treatment_outcomes_cost_non_negative"),
    )
    op.create_index(
        "ix_treatment_outcomes_action_assigned_on",
        "treatment_outcomes",
        ["action", "assigned_on"],
    )
    op.create_index("ix_treatment_outcomes_customer_id", "treatment_outcomes", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_treatment_outcomes_customer_id", table_name="treatment_outcomes")
    op.drop_index("ix_treatment_outcomes_action_assigned_on", table_name="treatment_outcomes")
    op.drop_table("treatment_outcomes")

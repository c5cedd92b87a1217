"""Recommendations: the recommender's action for each alerted customer on a scoring date, its
expected effect (learned from uplift models, or the prior), net benefit, why, and the
vulnerable and holdout flags.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The closed sets as they were when this revision was written (a later change is a new one).
ACTIONS = (
    "soft_reminder",
    "agent_call",
    "payment_plan",
    "restructuring",
    "payment_holiday",
    "financial_counselling",
)
EFFECT_BASES = ("learned", "prior")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "recommendations",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=True),
        sa.Column("expected_effect", sa.Float, nullable=True),
        sa.Column("net_benefit", sa.Float, nullable=True),
        sa.Column("effect_basis", sa.String(16), nullable=False),
        sa.Column("why", sa.String(300), nullable=False),
        sa.Column("vulnerable", sa.Boolean, nullable=False),
        sa.Column("held_out", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"action IS NULL OR action IN ({_in(ACTIONS)})", name="ck_recommendations_action"
        ),
        sa.CheckConstraint(
            f"effect_basis IN ({_in(EFFECT_BASES)})", name="ck_recommendations_effect_basis"
        ),
    )
    op.create_index("ix_recommendations_as_of", "recommendations", ["as_of"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_as_of", table_name="recommendations")
    op.drop_table("recommendations")

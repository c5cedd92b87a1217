"""Shadow scoring and calendar features in drift: `challenger_scores` holds the shadow
challenger's scores apart from the champion's, and `feature_drift.calendar` marks the features
that follow the calendar (their PSI is kept but never raises the date's level).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "challenger_scores",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("challenger_version", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("champion_version", sa.String(64), nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("threshold_alert", sa.Boolean, nullable=False),
        sa.Column("alert", sa.Boolean, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_challenger_scores_customer_id_customers",
        ),
    )
    op.create_index(
        "ix_challenger_scores_as_of_champion", "challenger_scores", ["as_of", "champion_version"]
    )
    with op.batch_alter_table("feature_drift") as batch:
        batch.add_column(
            sa.Column("calendar", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("feature_drift") as batch:
        batch.drop_column("calendar")
    op.drop_index("ix_challenger_scores_as_of_champion", table_name="challenger_scores")
    op.drop_table("challenger_scores")

"""Risk score history and batch scoring runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "risk_scores",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("alert", sa.Boolean, nullable=False),
        sa.Column("top_reasons", sa.JSON, nullable=False),
        sa.Column("scored_at", TS, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name="fk_risk_scores_customer_id_customers"
        ),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_versions.version"],
            name="fk_risk_scores_model_version_model_versions",
        ),
        sa.CheckConstraint(
            "probability >= 0 AND probability <= 1", name="ck_risk_scores_probability_range"
        ),
        sa.CheckConstraint(
            "tier IN ('low', 'medium', 'high', 'critical')", name="ck_risk_scores_tier"
        ),
    )
    op.create_index("ix_risk_scores_as_of_probability", "risk_scores", ["as_of", "probability"])
    op.create_index("ix_risk_scores_run_id", "risk_scores", ["run_id"])

    op.create_table(
        "scoring_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("total_customers", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_written", sa.Integer, nullable=False),
        sa.Column("chunks_committed", sa.Integer, nullable=False),
        sa.Column("last_customer_id", sa.String(64), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_versions.version"],
            name="fk_scoring_runs_model_version_model_versions",
        ),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'failed')", name="ck_scoring_runs_status"
        ),
    )


def downgrade() -> None:
    op.drop_table("scoring_runs")
    op.drop_index("ix_risk_scores_run_id", table_name="risk_scores")
    op.drop_index("ix_risk_scores_as_of_probability", table_name="risk_scores")
    op.drop_table("risk_scores")

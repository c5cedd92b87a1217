"""Model monitoring (drift, performance per scoring date, matured outcomes) and the jobs table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
LEVELS = "level IN ('ok', 'warn', 'alert')"


def _version_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_version"],
        ["model_versions.version"],
        name=f"fk_{table}_model_version_model_versions",
    )


def upgrade() -> None:
    op.create_table(
        "drift_checks",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("score_psi", sa.Float, nullable=False),
        sa.Column("score_ks_statistic", sa.Float, nullable=False),
        sa.Column("score_ks_pvalue", sa.Float, nullable=False),
        sa.Column("max_feature_psi", sa.Float, nullable=True),
        sa.Column("features_checked", sa.Integer, nullable=False),
        sa.Column("features_warn", sa.Integer, nullable=False),
        sa.Column("features_alert", sa.Integer, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("psi_warn", sa.Float, nullable=False),
        sa.Column("psi_alert", sa.Float, nullable=False),
        sa.Column("computed_at", TS, nullable=False),
        _version_fk("drift_checks"),
        sa.CheckConstraint(LEVELS, name="ck_drift_checks_level"),
    )
    op.create_table(
        "feature_drift",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("feature", sa.String(128), primary_key=True),
        sa.Column("psi", sa.Float, nullable=False),
        sa.Column("missing_share", sa.Float, nullable=False),
        sa.Column("reference_missing_share", sa.Float, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["as_of", "model_version"],
            ["drift_checks.as_of", "drift_checks.model_version"],
            name="fk_feature_drift_drift_checks",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(LEVELS, name="ck_feature_drift_level"),
    )
    op.create_table(
        "performance_by_date",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("labelled_rows", sa.Integer, nullable=True),
        sa.Column("auc", sa.Float, nullable=True),
        sa.Column("auc_low", sa.Float, nullable=True),
        sa.Column("auc_high", sa.Float, nullable=True),
        sa.Column("ks", sa.Float, nullable=True),
        sa.Column("predicted_rate", sa.Float, nullable=False),
        sa.Column("predicted_rate_low", sa.Float, nullable=True),
        sa.Column("predicted_rate_high", sa.Float, nullable=True),
        sa.Column("observed_rate", sa.Float, nullable=True),
        sa.Column("by_tier", sa.JSON, nullable=False),
        sa.Column("computed_at", TS, nullable=False),
        _version_fk("performance_by_date"),
        sa.CheckConstraint("kind IN ('realised', 'estimated')", name="ck_performance_by_date_kind"),
    )
    op.create_table(
        "matured_outcomes",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_matured_outcomes_customer_id_customers",
        ),
        sa.CheckConstraint("label IN (0, 1)", name="ck_matured_outcomes_label"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("log_tail", sa.String(4000), nullable=False),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("enqueued_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("duration_s", sa.Float, nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.CheckConstraint(
            "kind IN ('generate', 'retrain', 'score', 'drift', 'realised', 'nightly')",
            name="ck_jobs_kind",
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed')", name="ck_jobs_status"
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress_range"),
    )
    op.create_index(
        "uq_jobs_one_running",
        "jobs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_index("ix_jobs_status_id", "jobs", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_id", table_name="jobs")
    op.drop_index("uq_jobs_one_running", table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("matured_outcomes")
    op.drop_table("performance_by_date")
    op.drop_table("feature_drift")
    op.drop_table("drift_checks")

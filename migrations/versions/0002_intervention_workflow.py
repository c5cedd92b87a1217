"""Intervention workflow: customer assignments, interventions and their outcomes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("officer", sa.String(64), nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_customer_assignments_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["officer"], ["users.username"], name="fk_customer_assignments_officer_users"
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["users.username"], name="fk_customer_assignments_assigned_by_users"
        ),
    )
    op.create_index(
        "uq_customer_assignments_open_customer_id",
        "customer_assignments",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_customer_assignments_officer", "customer_assignments", ["officer"])

    op.create_table(
        "interventions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("risk_probability", sa.Float, nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sla_due_at", TS, nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("assigned_to", sa.String(64), nullable=True),
        sa.Column("assigned_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
        sa.Column("cancel_reason", sa.String(1000), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_interventions_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_versions.version"],
            name="fk_interventions_model_version_model_versions",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.username"], name="fk_interventions_created_by_users"
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.username"], name="fk_interventions_approved_by_users"
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.username"], name="fk_interventions_assigned_to_users"
        ),
        sa.CheckConstraint(
            "type IN ('soft_reminder', 'agent_call', 'payment_plan', 'restructuring', "
            "'payment_holiday', 'financial_counselling')",
            name="ck_interventions_type",
        ),
        sa.CheckConstraint(
            "status IN ('recommended', 'approved', 'assigned', 'in_progress', 'completed', "
            "'cancelled')",
            name="ck_interventions_status",
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high', 'critical')", name="ck_interventions_priority"
        ),
        sa.CheckConstraint("version >= 1", name="ck_interventions_version_positive"),
    )
    op.create_index(
        "ix_interventions_customer_id_type_created_at",
        "interventions",
        ["customer_id", "type", "created_at"],
    )
    op.create_index("ix_interventions_status_sla_due_at", "interventions", ["status", "sla_due_at"])
    op.create_index(
        "ix_interventions_assigned_to_status", "interventions", ["assigned_to", "status"]
    )

    op.create_table(
        "intervention_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("intervention_id", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("promised_date", sa.Date, nullable=True),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["interventions.id"],
            name="fk_intervention_outcomes_intervention_id_interventions",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.username"], name="fk_intervention_outcomes_recorded_by_users"
        ),
        sa.CheckConstraint(
            "outcome IN ('paid', 'promise_to_pay', 'promise_kept', 'promise_broken', "
            "'no_response', 'defaulted')",
            name="ck_intervention_outcomes_outcome",
        ),
    )
    op.create_index(
        "ix_intervention_outcomes_intervention_id", "intervention_outcomes", ["intervention_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_intervention_outcomes_intervention_id", table_name="intervention_outcomes")
    op.drop_table("intervention_outcomes")
    op.drop_index("ix_interventions_assigned_to_status", table_name="interventions")
    op.drop_index("ix_interventions_status_sla_due_at", table_name="interventions")
    op.drop_index("ix_interventions_customer_id_type_created_at", table_name="interventions")
    op.drop_table("interventions")
    op.drop_index("ix_customer_assignments_officer", table_name="customer_assignments")
    op.drop_index("uq_customer_assignments_open_customer_id", table_name="customer_assignments")
    op.drop_table("customer_assignments")

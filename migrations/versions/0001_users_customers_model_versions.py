"""Users, customers and the model version registry.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(18, 2)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("role IN ('officer', 'supervisor', 'admin')", name="ck_users_role"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("open_date", sa.Date, nullable=False),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("income_bracket", sa.String(32), nullable=False),
        sa.Column("employment_type", sa.String(32), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("product", sa.String(32), nullable=False),
        sa.Column("credit_limit", MONEY, nullable=False),
        sa.Column("outstanding_balance", MONEY, nullable=False),
        sa.Column("monthly_obligation", MONEY, nullable=False),
        sa.Column("declared_income", MONEY, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "credit_limit >= 0 AND outstanding_balance >= 0 AND monthly_obligation >= 0",
            name="ck_customers_exposure_non_negative",
        ),
    )
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("status_changed_at", TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('champion', 'challenger', 'retired')", name="ck_model_versions_status"
        ),
    )
    op.create_index(
        "uq_model_versions_one_champion",
        "model_versions",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'champion'"),
        postgresql_where=sa.text("status = 'champion'"),
    )


def downgrade() -> None:
    op.drop_index("uq_model_versions_one_champion", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("customers")
    op.drop_table("users")

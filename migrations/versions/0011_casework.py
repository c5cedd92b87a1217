"""Casework for calls: contact preferences and flags per customer, promises to pay on
interventions (open, kept or broken) and trigger events (one per customer per day).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The closed sets as they were when this revision was written (a later change is a new one).
CHANNELS = ("phone", "sms", "email", "letter", "branch")
BEST_TIMES = ("any", "morning", "afternoon", "evening")
PROMISE_STATUSES = ("open", "kept", "broken")
TRIGGER_KINDS = ("salary_missed", "auto_debit_failed", "payment_missed")


def _check(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    target_table = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{target_table}")


def upgrade() -> None:
    op.create_table(
        "contact_preferences",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("best_time", sa.String(16), nullable=False),
        sa.Column("do_not_contact", sa.Boolean, nullable=False),
        sa.Column("vulnerable", sa.Boolean, nullable=False),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("contact_preferences", "customer_id", "customers.customer_id"),
        _fk("contact_preferences", "updated_by", "users.username"),
        _check("contact_preferences", "channel", CHANNELS),
        _check("contact_preferences", "best_time", BEST_TIMES),
    )
    op.create_table(
        "promises_to_pay",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("intervention_id", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        _fk("promises_to_pay", "intervention_id", "interventions.id"),
        _fk("promises_to_pay", "customer_id", "customers.customer_id"),
        _fk("promises_to_pay", "recorded_by", "users.username"),
        _check("promises_to_pay", "status", PROMISE_STATUSES),
        sa.CheckConstraint("amount > 0", name="ck_promises_to_pay_amount_positive"),
        sa.CheckConstraint("due_date >= made_on", name="ck_promises_to_pay_due_after_made"),
    )
    op.create_index("ix_promises_to_pay_status_due_date", "promises_to_pay", ["status", "due_date"])
    op.create_index("ix_promises_to_pay_customer_id", "promises_to_pay", ["customer_id"])
    op.create_table(
        "trigger_events",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        _check("trigger_events", "kind", TRIGGER_KINDS),
    )
    op.create_index("ix_trigger_events_day", "trigger_events", ["day"])


def downgrade() -> None:
    op.drop_index("ix_trigger_events_day", table_name="trigger_events")
    op.drop_table("trigger_events")
    op.drop_index("ix_promises_to_pay_customer_id", table_name="promises_to_pay")
    op.drop_index("ix_promises_to_pay_status_due_date", table_name="promises_to_pay")
    op.drop_table("promises_to_pay")
    op.drop_table("contact_preferences")

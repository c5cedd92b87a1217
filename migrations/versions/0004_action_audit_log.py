"""Append-only, hash-chained action audit log (triggers refuse UPDATE and DELETE).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE FUNCTION action_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'action_audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
PG_TRIGGER = """
CREATE TRIGGER action_audit_log_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON action_audit_log
FOR EACH STATEMENT EXECUTE FUNCTION action_audit_log_append_only()
"""
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER action_audit_log_no_update BEFORE UPDATE ON action_audit_log
    BEGIN SELECT RAISE(ABORT, 'action_audit_log is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER action_audit_log_no_delete BEFORE DELETE ON action_audit_log
    BEGIN SELECT RAISE(ABORT, 'action_audit_log is append-only: DELETE refused'); END
    """,
)


def upgrade() -> None:
    op.create_table(
        "action_audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("row_hash", name="uq_action_audit_log_row_hash"),
    )
    op.create_index("ix_action_audit_log_entity", "action_audit_log", ["entity_type", "entity_id"])
    op.create_index("ix_action_audit_log_occurred_at", "action_audit_log", ["occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS action_audit_log_append_only ON action_audit_log")
        op.execute("DROP FUNCTION IF EXISTS action_audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS action_audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS action_audit_log_no_delete")
    op.drop_index("ix_action_audit_log_occurred_at", table_name="action_audit_log")
    op.drop_index("ix_action_audit_log_entity", table_name="action_audit_log")
    op.drop_table("action_audit_log")

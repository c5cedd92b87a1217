"""Time to miss on each stored score: the chance of a miss within 7, 14 and 30 days and the
expected days to it (null for models without a hazard model).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("miss_within_7d", "miss_within_14d", "miss_within_30d", "expected_days_to_miss")


def upgrade() -> None:
    with op.batch_alter_table("risk_scores") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risk_scores") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)

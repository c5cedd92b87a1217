"""`action_audit_log`: append-only, hash-chained record of every change (see pde.db.audit)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.types import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntryBase(SQLModel):
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class AuditEntryCreate(AuditEntryBase):
    pass


# No update model: the log is append-only (database triggers refuse UPDATE and DELETE).


class AuditEntry(AuditEntryBase, table=True):
    """`id` is the position in the chain (1, 2, 3, ...), assigned under a lock, not a sequence."""

    __tablename__ = "action_audit_log"
    __table_args__ = (
        sa.UniqueConstraint("row_hash", name="uq_action_audit_log_row_hash"),
        sa.Index("ix_action_audit_log_entity", "entity_type", "entity_id"),
        sa.Index("ix_action_audit_log_occurred_at", "occurred_at"),
    )

    id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    prev_hash: str = Field(max_length=64, min_length=64)
    row_hash: str = Field(max_length=64, min_length=64)


class AuditEntryPublic(AuditEntryBase):
    id: int
    occurred_at: datetime
    prev_hash: str
    row_hash: str

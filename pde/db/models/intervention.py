"""`interventions` (the work items and their life cycle) and `intervention_outcomes`."""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.models.enums import InterventionStatus, InterventionType, OutcomeKind, Priority
from pde.db.types import StrEnumType, UTCDateTime, check_in, utc_now


class InterventionBase(SQLModel):
    customer_id: str = Field(max_length=64)
    type: InterventionType = Field(sa_type=StrEnumType(InterventionType, 32))
    priority: Priority = Field(default=Priority.MEDIUM, sa_type=StrEnumType(Priority, 16))
    reason: str | None = Field(default=None, max_length=1000)
    risk_probability: float | None = Field(default=None, ge=0.0, le=1.0)
    model_version: str | None = Field(default=None, max_length=64)


class InterventionCreate(InterventionBase):
    pass


class InterventionUpdate(SQLModel):
    priority: Priority | None = None
    reason: str | None = Field(default=None, max_length=1000)


# The optimistic-lock counter: SQLAlchemy adds `WHERE version = <read>` to every UPDATE.
_VERSION = sa.Column("version", sa.Integer, nullable=False)


class Intervention(InterventionBase, table=True):
    """An action on a customer; `version` guards against lost updates (optimistic locking)."""

    __tablename__ = "interventions"
    __table_args__ = (
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
        check_in("type", InterventionType, name="ck_interventions_type"),
        check_in("status", InterventionStatus, name="ck_interventions_status"),
        check_in("priority", Priority, name="ck_interventions_priority"),
        sa.CheckConstraint("version >= 1", name="ck_interventions_version_positive"),
        sa.Index(
            "ix_interventions_customer_id_type_created_at", "customer_id", "type", "created_at"
        ),
        sa.Index("ix_interventions_status_sla_due_at", "status", "sla_due_at"),
        sa.Index("ix_interventions_assigned_to_status", "assigned_to", "status"),
    )
    __mapper_args__: ClassVar[dict[str, object]] = {"version_id_col": _VERSION}

    id: int | None = Field(default=None, primary_key=True)
    status: InterventionStatus = Field(
        default=InterventionStatus.RECOMMENDED, sa_type=StrEnumType(InterventionStatus, 16)
    )
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    sla_due_at: datetime = Field(sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    assigned_to: str | None = Field(default=None, max_length=64)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1, sa_column=_VERSION)


class InterventionPublic(InterventionBase):
    id: int
    status: InterventionStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    sla_due_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    assigned_to: str | None
    assigned_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    version: int


class InterventionOutcomeBase(SQLModel):
    outcome: OutcomeKind = Field(sa_type=StrEnumType(OutcomeKind, 32))
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    promised_date: date | None = None
    note: str | None = Field(default=None, max_length=1000)


class InterventionOutcomeCreate(InterventionOutcomeBase):
    pass


# No InterventionOutcomeUpdate: an outcome is a recorded fact; a correction is a new outcome.


class InterventionOutcome(InterventionOutcomeBase, table=True):
    __tablename__ = "intervention_outcomes"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["interventions.id"],
            name="fk_intervention_outcomes_intervention_id_interventions",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.username"], name="fk_intervention_outcomes_recorded_by_users"
        ),
        check_in("outcome", OutcomeKind, name="ck_intervention_outcomes_outcome"),
        sa.Index("ix_intervention_outcomes_intervention_id", "intervention_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    intervention_id: int
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class InterventionOutcomePublic(InterventionOutcomeBase):
    id: int
    intervention_id: int
    recorded_by: str
    recorded_at: datetime

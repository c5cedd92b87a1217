"""`customers` (profile and exposure) and `customer_assignments` (which officer owns whom)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.types import UTCDateTime, utc_now


class CustomerBase(SQLModel):
    customer_id: str = Field(max_length=64, min_length=1)
    open_date: date
    birth_year: int = Field(ge=1900, le=2100)
    income_bracket: str = Field(max_length=32)
    employment_type: str = Field(max_length=32)
    region: str = Field(max_length=64)
    product: str = Field(max_length=32)
    credit_limit: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    outstanding_balance: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    monthly_obligation: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    declared_income: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)


class CustomerCreate(CustomerBase):
    pass


class CustomerUpdate(SQLModel):
    region: str | None = Field(default=None, max_length=64)
    product: str | None = Field(default=None, max_length=32)
    credit_limit: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    outstanding_balance: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    monthly_obligation: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    declared_income: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)


class Customer(CustomerBase, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        sa.CheckConstraint(
            "credit_limit >= 0 AND outstanding_balance >= 0 AND monthly_obligation >= 0",
            name="ck_customers_exposure_non_negative",
        ),
    )

    customer_id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class CustomerPublic(CustomerBase):
    created_at: datetime
    updated_at: datetime


class CustomerAssignmentBase(SQLModel):
    customer_id: str = Field(max_length=64)
    officer: str = Field(max_length=64)


class CustomerAssignmentCreate(CustomerAssignmentBase):
    pass


class CustomerAssignmentUpdate(SQLModel):
    officer: str | None = Field(default=None, max_length=64)


class CustomerAssignment(CustomerAssignmentBase, table=True):
    """One row per ownership period; the open one (ended_at NULL) is the current owner."""

    __tablename__ = "customer_assignments"
    __table_args__ = (
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
        sa.Index(
            "uq_customer_assignments_open_customer_id",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index("ix_customer_assignments_officer", "officer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assigned_by: str = Field(max_length=64)
    assigned_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CustomerAssignmentPublic(CustomerAssignmentBase):
    id: int
    assigned_by: str
    assigned_at: datetime
    ended_at: datetime | None

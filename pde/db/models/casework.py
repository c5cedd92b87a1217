"""What an officer needs on a call: `contact_preferences` (channel, best time, do-not-contact and
vulnerability flags), `promises_to_pay` (a date and an amount recorded against an
intervention, kept or broken by the payments that follow) and `trigger_events` (at most one
per customer per day, so a signal is never raised twice)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.types import StrEnumType, UTCDateTime, check_in, utc_now


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    BRANCH = "branch"


class BestTime(StrEnum):
    ANY = "any"
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class TriggerKind(StrEnum):
    SALARY_MISSED = "salary_missed"
    AUTO_DEBIT_FAILED = "auto_debit_failed"
    PAYMENT_MISSED = "payment_missed"


class ContactPreference(SQLModel, table=True):
    """One row per customer; absent means 'no preference recorded, contact allowed'."""

    __tablename__ = "contact_preferences"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_contact_preferences_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.username"], name="fk_contact_preferences_updated_by_users"
        ),
        check_in("channel", ContactChannel, name="ck_contact_preferences_channel"),
        check_in("best_time", BestTime, name="ck_contact_preferences_best_time"),
    )

    customer_id: str = Field(primary_key=True, max_length=64)
    channel: ContactChannel = Field(sa_type=StrEnumType(ContactChannel, 16))
    best_time: BestTime = Field(sa_type=StrEnumType(BestTime, 16))
    do_not_contact: bool = False
    vulnerable: bool = False
    note: str | None = Field(default=None, max_length=1000)
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class PromiseToPay(SQLModel, table=True):
    """A promise made on an intervention: `amount` by `due_date`. Open until payments made
    from `made_on` to `due_date` cover it (kept) or the date passes without (broken)."""

    __tablename__ = "promises_to_pay"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["interventions.id"],
            name="fk_promises_to_pay_intervention_id_interventions",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_promises_to_pay_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.username"], name="fk_promises_to_pay_recorded_by_users"
        ),
        check_in("status", PromiseStatus, name="ck_promises_to_pay_status"),
        sa.CheckConstraint("amount > 0", name="ck_promises_to_pay_amount_positive"),
        sa.CheckConstraint("due_date >= made_on", name="ck_promises_to_pay_due_after_made"),
        sa.Index("ix_promises_to_pay_status_due_date", "status", "due_date"),
        sa.Index("ix_promises_to_pay_customer_id", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    intervention_id: int
    customer_id: str = Field(max_length=64)
    made_on: date
    due_date: date
    amount: Decimal = Field(max_digits=18, decimal_places=2)
    status: PromiseStatus = Field(
        default=PromiseStatus.OPEN, sa_type=StrEnumType(PromiseStatus, 16)
    )
    paid_amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TriggerEvent(SQLModel, table=True):
    """A signal from the latest data about one customer on one day (the primary key keeps it
    to one a day: raising it again is a no-op)."""

    __tablename__ = "trigger_events"
    __table_args__ = (
        check_in("kind", TriggerKind, name="ck_trigger_events_kind"),
        sa.Index("ix_trigger_events_day", "day"),
    )

    customer_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    kind: TriggerKind = Field(sa_type=StrEnumType(TriggerKind, 32))
    detail: str = Field(max_length=200)
    raised_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)

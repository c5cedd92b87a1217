"""Model monitoring: drift per scoring date (`drift_checks`, `feature_drift`), performance per
scoring date (`performance_by_date`), and the 30-day outcomes once known (`matured_outcomes`)."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.models.enums import DriftLevel, PerformanceKind
from pde.db.types import StrEnumType, UTCDateTime, check_in, utc_now

_VERSION_FK = "model_versions.version"


class DriftCheck(SQLModel, table=True):
    """One scoring date of one model against the bundle's reference distributions."""

    __tablename__ = "drift_checks"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["model_version"], [_VERSION_FK], name="fk_drift_checks_model_version_model_versions"
        ),
        check_in("level", DriftLevel, name="ck_drift_checks_level"),
    )

    as_of: date = Field(primary_key=True)
    model_version: str = Field(primary_key=True, max_length=64)
    rows: int
    score_psi: float
    score_ks_statistic: float
    score_ks_pvalue: float
    max_feature_psi: float | None = None
    features_checked: int
    features_warn: int
    features_alert: int
    level: DriftLevel = Field(sa_type=StrEnumType(DriftLevel, 16))
    psi_warn: float
    psi_alert: float
    computed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class FeatureDrift(SQLModel, table=True):
    """PSI of one feature on one scoring date (missing values are a bin of their own)."""

    __tablename__ = "feature_drift"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["as_of", "model_version"],
            ["drift_checks.as_of", "drift_checks.model_version"],
            name="fk_feature_drift_drift_checks",
            ondelete="CASCADE",
        ),
        check_in("level", DriftLevel, name="ck_feature_drift_level"),
    )

    as_of: date = Field(primary_key=True)
    model_version: str = Field(primary_key=True, max_length=64)
    feature: str = Field(primary_key=True, max_length=128)
    psi: float
    missing_share: float
    reference_missing_share: float
    level: DriftLevel = Field(sa_type=StrEnumType(DriftLevel, 16))
    # A feature that follows the calendar (pde.jobs.calendar): its PSI is stored and shown,
    # but it never raises the date's level (docs/monitoring.md).
    calendar: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class ChallengerScore(SQLModel, table=True):
    """A customer's score by the shadow challenger on a scoring date, stored apart from the
    champion's `risk_scores` (the champion alone drives alerts and work)."""

    __tablename__ = "challenger_scores"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_challenger_scores_customer_id_customers",
        ),
        sa.Index("ix_challenger_scores_as_of_champion", "as_of", "champion_version"),
    )

    as_of: date = Field(primary_key=True)
    challenger_version: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(primary_key=True, max_length=64)
    champion_version: str = Field(max_length=64)
    probability: float
    # the challenger's own threshold (the server's flag) and the alert policy on its scores
    threshold_alert: bool
    alert: bool
    scored_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class PerformanceByDate(SQLModel, table=True):
    """A model's performance on one scoring date: realised once its 30-day outcomes are known,
    estimated from the calibrated probabilities (CBPE) before; intervals from resampling."""

    __tablename__ = "performance_by_date"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["model_version"],
            [_VERSION_FK],
            name="fk_performance_by_date_model_version_model_versions",
        ),
        check_in("kind", PerformanceKind, name="ck_performance_by_date_kind"),
    )

    as_of: date = Field(primary_key=True)
    model_version: str = Field(primary_key=True, max_length=64)
    kind: PerformanceKind = Field(primary_key=True, sa_type=StrEnumType(PerformanceKind, 16))
    rows: int
    labelled_rows: int | None = None
    auc: float | None = None
    auc_low: float | None = None
    auc_high: float | None = None
    ks: float | None = None
    predicted_rate: float
    predicted_rate_low: float | None = None
    predicted_rate_high: float | None = None
    observed_rate: float | None = None
    # per tier: rows, mean predicted probability, observed default rate (realised only)
    by_tier: list[Any] = Field(default_factory=list, sa_type=sa.JSON)
    computed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class MaturedOutcome(SQLModel, table=True):
    """A customer's 30-day outcome after a scoring date, by the project's label rule."""

    __tablename__ = "matured_outcomes"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_matured_outcomes_customer_id_customers",
        ),
        sa.CheckConstraint("label IN (0, 1)", name="ck_matured_outcomes_label"),
    )

    customer_id: str = Field(primary_key=True, max_length=64)
    as_of: date = Field(primary_key=True)
    label: int = Field(sa_type=sa.SmallInteger)
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)

"""`model_versions` (bundle registry), `risk_scores` (history) and `scoring_runs` (batch jobs)."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.models.enums import ModelStatus, RiskTier, RunStatus
from pde.db.types import StrEnumType, UTCDateTime, check_in, utc_now


class ModelVersionBase(SQLModel):
    version: str = Field(max_length=64, min_length=1)
    status: ModelStatus = Field(
        default=ModelStatus.CHALLENGER, sa_type=StrEnumType(ModelStatus, 16)
    )
    description: str | None = Field(default=None, max_length=500)


class ModelVersionCreate(ModelVersionBase):
    pass


class ModelVersionUpdate(SQLModel):
    status: ModelStatus | None = None
    description: str | None = Field(default=None, max_length=500)


class ModelVersion(ModelVersionBase, table=True):
    __tablename__ = "model_versions"
    __table_args__ = (
        check_in("status", ModelStatus, name="ck_model_versions_status"),
        # At most one champion: a partial unique index (PostgreSQL and SQLite both have them).
        sa.Index(
            "uq_model_versions_one_champion",
            "status",
            unique=True,
            sqlite_where=sa.text("status = 'champion'"),
            postgresql_where=sa.text("status = 'champion'"),
        ),
    )

    version: str = Field(primary_key=True, max_length=64)
    registered_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    status_changed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ModelVersionPublic(ModelVersionBase):
    registered_at: datetime
    status_changed_at: datetime


class RiskScoreBase(SQLModel):
    customer_id: str = Field(max_length=64)
    as_of: date
    model_version: str = Field(max_length=64)
    probability: float = Field(ge=0.0, le=1.0)
    tier: RiskTier = Field(sa_type=StrEnumType(RiskTier, 16))
    alert: bool
    top_reasons: list[Any] = Field(default_factory=list, sa_type=sa.JSON)
    scored_at: datetime = Field(sa_type=UTCDateTime)
    # Time to miss from the model's hazard model; null when it has none.
    miss_within_7d: float | None = Field(default=None, ge=0.0, le=1.0)
    miss_within_14d: float | None = Field(default=None, ge=0.0, le=1.0)
    miss_within_30d: float | None = Field(default=None, ge=0.0, le=1.0)
    expected_days_to_miss: float | None = Field(default=None, ge=0.0)


class RiskScoreCreate(RiskScoreBase):
    pass


class RiskScoreUpdate(SQLModel):
    """Scores are facts of (customer, as-of, model version); only a re-score may change them."""

    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    tier: RiskTier | None = None
    alert: bool | None = None


class RiskScore(RiskScoreBase, table=True):
    """Unique per (customer, as-of, model version): that triple is the primary key, which also
    lets TimescaleDB partition the table by `as_of` (see sql/init.sql)."""

    __tablename__ = "risk_scores"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name="fk_risk_scores_customer_id_customers"
        ),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_versions.version"],
            name="fk_risk_scores_model_version_model_versions",
        ),
        sa.CheckConstraint(
            "probability >= 0 AND probability <= 1", name="ck_risk_scores_probability_range"
        ),
        check_in("tier", RiskTier, name="ck_risk_scores_tier"),
        sa.Index("ix_risk_scores_as_of_probability", "as_of", "probability"),
        sa.Index("ix_risk_scores_run_id", "run_id"),
    )

    customer_id: str = Field(primary_key=True, max_length=64)
    as_of: date = Field(primary_key=True)
    model_version: str = Field(primary_key=True, max_length=64)
    run_id: str | None = Field(default=None, max_length=64)


class RiskScorePublic(RiskScoreBase):
    run_id: str | None


class ScoringRunBase(SQLModel):
    run_id: str = Field(max_length=64, min_length=1)
    as_of: date
    model_version: str = Field(max_length=64)
    total_customers: int | None = Field(default=None, ge=0)


class ScoringRunCreate(ScoringRunBase):
    pass


class ScoringRunUpdate(SQLModel):
    status: RunStatus | None = None
    error: str | None = None


class ScoringRun(ScoringRunBase, table=True):
    """Progress of a batch scoring job: rows written and the last customer id committed."""

    __tablename__ = "scoring_runs"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_versions.version"],
            name="fk_scoring_runs_model_version_model_versions",
        ),
        check_in("status", RunStatus, name="ck_scoring_runs_status"),
    )

    run_id: str = Field(primary_key=True, max_length=64)
    status: RunStatus = Field(default=RunStatus.RUNNING, sa_type=StrEnumType(RunStatus, 16))
    rows_written: int = 0
    chunks_committed: int = 0
    last_customer_id: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 1
    error: str | None = Field(default=None, max_length=2000)


class ScoringRunPublic(ScoringRunBase):
    status: RunStatus
    rows_written: int
    chunks_committed: int
    last_customer_id: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    attempts: int
    error: str | None

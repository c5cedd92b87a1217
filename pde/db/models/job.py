"""`jobs`: background work recorded in the database, run one at a time by `pde jobs worker`."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.db.models.enums import JobKind, JobStatus
from pde.db.types import StrEnumType, UTCDateTime, check_in, utc_now


class Job(SQLModel, table=True):
    """A job from enqueueing to its end: progress, the tail of its log, how it ended."""

    __tablename__ = "jobs"
    __table_args__ = (
        check_in("kind", JobKind, name="ck_jobs_kind"),
        check_in("status", JobStatus, name="ck_jobs_status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress_range"),
        # One job runs at a time, whatever the number of workers: a partial unique index.
        sa.Index(
            "uq_jobs_one_running",
            "status",
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        ),
        sa.Index("ix_jobs_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: JobKind = Field(sa_type=StrEnumType(JobKind, 16))
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=StrEnumType(JobStatus, 16))
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    requested_by: str = Field(max_length=64)
    progress: float = 0.0
    log_tail: str = Field(default="", max_length=4000)
    worker: str | None = Field(default=None, max_length=128)
    enqueued_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_s: float | None = None
    error: str | None = Field(default=None, max_length=2000)

"""The jobs table: enqueue, claim (one running job at a time), report progress, finish.

The caller owns the unit of work. Claiming relies on the partial unique index
`uq_jobs_one_running`: two workers that race for work cannot both start a job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from pde.db.errors import NotFoundError
from pde.db.models.enums import JobKind, JobStatus
from pde.db.models.job import Job
from pde.db.types import utc_now

LOG_TAIL_CHARS = 4000
ERROR_CHARS = 2000


def enqueue(
    *, session: Session, kind: JobKind, requested_by: str, params: dict[str, Any] | None = None
) -> Job:
    """A new queued job; the worker runs queued jobs oldest first."""
    job = Job(kind=kind, requested_by=requested_by, params=dict(params or {}))
    session.add(job)
    session.flush()
    return job


def recent(session: Session, *, limit: int = 20) -> list[Job]:
    """The latest jobs, newest first."""
    return list(session.exec(select(Job).order_by(col(Job.id).desc()).limit(limit)))


def running(session: Session) -> list[Job]:
    return list(session.exec(select(Job).where(Job.status == JobStatus.RUNNING)))


def get(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"job {job_id} does not exist")
    return job


def claim_next(*, session: Session, worker: str) -> Job | None:
    """Marks the oldest queued job running for `worker` and returns it; None when a job is
    running already or nothing is queued. A lost race raises ConstraintViolationError at
    flush (the one-running index), which the worker takes as "busy"."""
    if running(session):
        return None
    job = session.exec(
        select(Job).where(Job.status == JobStatus.QUEUED).order_by(col(Job.id)).limit(1)
    ).first()
    if job is None:
        return None
    now = utc_now()
    claimed = session.execute(
        sa.update(Job)
        .where(col(Job.id) == job.id, col(Job.status) == JobStatus.QUEUED.value)
        .values(status=JobStatus.RUNNING.value, worker=worker, started_at=now, heartbeat_at=now)
    )
    session.flush()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(job)
    return job


def report(*, session: Session, job_id: int, worker: str, progress: float, log_tail: str) -> bool:
    """Progress and the log's tail of a running job, which also proves the worker alive;
    False when the job is no longer this worker's (failed as stale meanwhile)."""
    updated = session.execute(
        sa.update(Job)
        .where(
            col(Job.id) == job_id,
            col(Job.status) == JobStatus.RUNNING.value,
            col(Job.worker) == worker,
        )
        .values(
            progress=min(max(progress, 0.0), 1.0),
            log_tail=log_tail[-LOG_TAIL_CHARS:],
            heartbeat_at=utc_now(),
        )
    )
    return bool(updated.rowcount == 1)  # type: ignore[attr-defined]


def finish(*, session: Session, job_id: int, error: str | None, log_tail: str | None = None) -> Job:
    """Completes the job (or fails it with `error`), with its duration."""
    job = get(session, job_id)
    now = utc_now()
    job.status = JobStatus.FAILED if error else JobStatus.COMPLETED
    job.error = error[:ERROR_CHARS] if error else None
    if not error:
        job.progress = 1.0
    if log_tail is not None:
        job.log_tail = log_tail[-LOG_TAIL_CHARS:]
    job.finished_at = now
    if job.started_at is not None:
        job.duration_s = round((now - job.started_at).total_seconds(), 3)
    session.add(job)
    session.flush()
    return job


def fail_abandoned(
    *, session: Session, stale_before: datetime, dead_workers: set[str]
) -> list[int]:
    """Fails the running jobs whose worker is known dead or has not reported since
    `stale_before` (a worker that died mid-job); returns their ids."""
    failed = []
    for job in running(session):
        beat = job.heartbeat_at or job.started_at
        if job.worker in dead_workers or beat is None or beat < stale_before:
            finish(
                session=session,
                job_id=int(job.id or 0),
                error=f"the worker {job.worker} stopped while the job ran (marked failed on "
                "restart): enqueue it again",
            )
            failed.append(int(job.id or 0))
    return failed

"""Jobs in the database: one running at a time, a real worker running real `pde` commands, and
jobs a dead worker left running failed on restart. SQLite and PostgreSQL (the worker's child
processes reach the database through PDE_DATABASE_URL: SQLite there)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pde.core.settings import Settings
from pde.db import jobs as job_table
from pde.db.errors import ConstraintViolationError
from pde.db.models import Job, JobKind, JobStatus
from pde.db.types import utc_now
from pde.jobs.metrics import WorkerMetrics
from pde.jobs.queue import enqueue, recent
from pde.jobs.worker import Worker


def test_worker_jobs_run_one_at_a_time(db: Any) -> None:
    first = enqueue(JobKind.DRIFT, requested_by="admin", engine=db.engine)
    second = enqueue(JobKind.REALISED, requested_by="admin", engine=db.engine)
    with db.scope() as session:
        claimed = job_table.claim_next(session=session, worker="w1")
    assert claimed is not None and claimed.id == first.job_id
    with db.scope() as session:
        assert job_table.claim_next(session=session, worker="w2") is None  # one is running
    # the table itself refuses a second running job, whoever asks
    with pytest.raises(ConstraintViolationError), db.scope() as session:
        row = session.get(Job, second.job_id)
        assert row is not None
        row.status = JobStatus.RUNNING
        session.add(row)
    with db.scope() as session:
        job_table.finish(session=session, job_id=first.job_id, error=None)
        claimed = job_table.claim_next(session=session, worker="w2")
    assert claimed is not None and claimed.id == second.job_id
    [newest, oldest] = recent(engine=db.engine)
    assert (newest.status, oldest.status) == ("running", "completed")
    assert oldest.progress == 1.0 and oldest.duration_s is not None and oldest.duration_s >= 0


def test_worker_restart_fails_the_jobs_a_dead_worker_left_running(db: Any) -> None:
    settings = Settings(job_stale_seconds=60)
    job = enqueue(JobKind.RETRAIN, requested_by="admin", engine=db.engine)
    with db.scope() as session:
        # a worker of this host whose process is gone (pid far above any live one)
        job_table.claim_next(session=session, worker=f"{_host()}:999999:abcdef")
    fresh = enqueue(JobKind.SCORE, requested_by="admin", engine=db.engine)
    worker = Worker(engine=db.engine, settings=settings, name="restarted")
    assert worker.recover() == [job.job_id]
    with db.scope() as session:
        failed = job_table.get(session, job.job_id)
        assert failed.status == JobStatus.FAILED and failed.error is not None
        assert "stopped while the job ran" in failed.error
        # a worker elsewhere that still reports is left alone; a silent one is failed
        job_table.claim_next(session=session, worker="other-host:12:abcdef")
    assert worker.recover() == []
    with db.scope() as session:
        row = job_table.get(session, fresh.job_id)
        row.heartbeat_at = utc_now() - timedelta(seconds=120)
        session.add(row)
    assert worker.recover() == [fresh.job_id]
    with db.scope() as session:
        assert (
            job_table.report(
                session=session,
                job_id=fresh.job_id,
                worker="other-host:12:abcdef",
                progress=0.5,
                log_tail="late",
            )
            is False
        )  # the stale worker learns its job is no longer its own


def _host() -> str:
    import socket

    return socket.gethostname()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Any) -> Any:
    """A migrated SQLite database that the worker's `pde` children reach too."""
    from pde.db import migrate

    database = make_database("sqlite")
    migrate.upgrade(engine=database.engine)
    monkeypatch.setenv("PDE_DATABASE_URL", database.url)
    monkeypatch.setenv("PDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PDE_MODEL_DIR", str(tmp_path / "models"))
    return database


def test_worker_runs_real_commands_records_output_and_failures(sqlite_env: Any) -> None:
    settings = Settings(database_url=sqlite_env.url)
    metrics = WorkerMetrics()
    worker = Worker(engine=sqlite_env.engine, settings=settings, poll_seconds=0.1, metrics=metrics)
    assert worker.run_once() is None  # nothing queued
    ok = enqueue(
        JobKind.REALISED, requested_by="admin", engine=sqlite_env.engine, settings=settings
    )
    bad = enqueue(
        JobKind.GENERATE,
        requested_by="admin",
        params={"customers": 0},
        engine=sqlite_env.engine,
        settings=settings,
    )
    done = worker.run_once()
    assert done is not None and done.id == ok.job_id and done.status == JobStatus.COMPLETED
    failed = worker.run_once()
    assert failed is not None and failed.id == bad.job_id and failed.status == JobStatus.FAILED
    [last, first] = recent(engine=sqlite_env.engine)
    assert first.log_tail[0].startswith("$ pde jobs run realised --data ")
    assert first.steps == [first.log_tail[0][2:]]
    # a new dataset in a directory of its own; PDE_DATA_DIR is switched only by the last step
    assert last.steps[0].startswith("pde simulate --customers 0 --out ")
    assert last.steps[-1].startswith("pde dataset use ") and len(last.steps) == 6
    assert last.error == f"`{last.steps[0]}` exited with code 1"
    assert not settings.data_dir.is_symlink()
    assert any("--customers must be at least 1" in line for line in last.log_tail)
    assert last.progress == 0.0 and first.progress == 1.0
    # the worker's Prometheus metrics counted both, and the time of the one that completed
    value = metrics.registry.get_sample_value
    assert value("pde_jobs_total", {"kind": "realised", "status": "completed"}) == 1
    assert value("pde_jobs_total", {"kind": "generate", "status": "failed"}) == 1
    assert value("pde_job_last_success_timestamp_seconds", {"kind": "realised"}) > 0
    assert value("pde_job_last_success_timestamp_seconds", {"kind": "generate"}) is None
    assert value("pde_job_duration_seconds_count", {"kind": "realised"}) == 1
    assert value("pde_jobs_running") == 0

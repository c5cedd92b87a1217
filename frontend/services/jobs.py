"""Background jobs of the Data Management page, recorded in the `jobs` table (pde.jobs.queue).

The page enqueues; `pde jobs worker` runs the jobs, one at a time, and they survive a restart
of the app. So that the page works with no worker started (the demo), the app runs a worker of
its own in a thread once an administrator uses the page (`JobRunner`); a separate
`pde jobs worker` may run beside it: the table lets only one job run at a time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pde.core.errors import PdeError
from pde.db.models import JobKind
from pde.frontend.services import access
from pde.frontend.services.base import database_errors
from pde.frontend.services.tables import CUSTOMERS, USERS
from pde.jobs import queue

if TYPE_CHECKING:
    from pde.frontend.services.base import Services

log = logging.getLogger(__name__)


class JobBusyError(PdeError):
    """A job is already queued or running: one at a time."""


@dataclass(frozen=True)
class Job:
    """A job as the page shows it (from the table)."""

    job_id: int
    kind: str
    title: str
    state: str  # queued, running, completed, failed
    progress: float
    steps: list[str]  # the `pde` commands, in order
    step: int  # the step running (0-based), or the number done
    started_by: str
    started_at: float  # epoch seconds: started, or queued while waiting
    finished_at: float | None
    duration_s: float | None
    error: str | None
    tail: list[str]


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _job(found: queue.JobView) -> Job:
    step = min(int(found.progress * len(found.steps)), len(found.steps))
    return Job(
        job_id=found.job_id,
        kind=found.kind,
        title=found.title,
        state=found.status,
        progress=found.progress,
        steps=found.steps,
        step=step,
        started_by=found.requested_by,
        started_at=_epoch(found.started_at or found.enqueued_at) or 0.0,
        finished_at=_epoch(found.finished_at),
        duration_s=found.duration_s,
        error=found.error,
        tail=found.log_tail,
    )


class JobRunner:
    """The app's own worker thread over the jobs table, started on first use."""

    def __init__(self, *, run_worker: bool = True) -> None:
        self.run_worker = run_worker
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_worker(self, services: Services) -> None:
        if not self.run_worker:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            from pde.jobs.worker import Worker

            worker = Worker(engine=services.engine, settings=services.settings)
            self._thread = threading.Thread(
                target=worker.run_forever, args=(self._stop,), daemon=True, name="pde-jobs"
            )
            self._thread.start()
            log.info("the app's job worker %s started", worker.name)

    def stop(self) -> None:
        self._stop.set()


def _enqueue(
    services: Services, user: access.SignedIn, kind: JobKind, params: dict[str, Any]
) -> Job:
    access.require(access.can_manage_models(user), "run data and training jobs")
    with database_errors():
        waiting = queue.recent(engine=services.engine, limit=20)
        if any(j.status in ("queued", "running") and j.kind == kind.value for j in waiting):
            raise JobBusyError(f"a {kind.value} job is already queued or running")
        found = queue.enqueue(
            kind,
            requested_by=user.username,
            params=params,
            engine=services.engine,
            settings=services.settings,
        )
    if services.jobs is not None:
        services.jobs.ensure_worker(services)
    return _job(found)


DEMO_CUSTOMERS = (100, 300_000)


class JobRefusedError(PdeError):
    """The job would fail: refused before it starts, with the reason."""


def demo_data_refusal(services: Services, *, customers: int) -> tuple[str | None, bool]:
    """(Why Generate demo data would fail now, or None; whether the database needs its demo
    users seeded). Checked before anything is written or simulated."""
    low, high = DEMO_CUSTOMERS
    if not low <= customers <= high:
        return f"choose between {low:,} and {high:,} customers", False
    status = services.status(fresh=True)
    if not status.database_ok:
        return "the database is unavailable", False
    if not status.scoring_ok:
        return (
            f"the scoring service at {services.settings.grpc_address} is unavailable: the new"
            " portfolio could not be scored, so nothing was generated (start it, then retry)",
            False,
        )
    with services.session() as session:
        users = session.execute(sa.select(sa.func.count()).select_from(USERS)).scalar_one()
        existing = session.execute(sa.select(sa.func.count()).select_from(CUSTOMERS)).scalar_one()
    if customers < existing:
        return (
            f"the database holds {existing:,} customers: generate at least as many (customers"
            " are refreshed from the new data, never deleted, and each needs its activity)",
            False,
        )
    return None, not users


def start_demo_data(services: Services, user: access.SignedIn, *, customers: int) -> Job:
    """Queues a new dataset of `customers` in a directory of its own, a model trained on it,
    the database seeded (or its customers refreshed) and scored from it, and the switch of
    PDE_DATA_DIR to it as the last step; refuses at once when a step could not succeed."""
    access.require(access.can_manage_models(user), "run data and training jobs")
    refusal, seed_users = demo_data_refusal(services, customers=customers)
    if refusal is not None:
        raise JobRefusedError(f"Generate demo data refused: {refusal}.")
    params = {"customers": customers, "seed_users": seed_users, "quick": True}
    return _enqueue(services, user, JobKind.GENERATE, params)


def start_retrain(services: Services, user: access.SignedIn, *, quick: bool) -> Job:
    """Queues training on PDE_DATA_DIR: the new bundle is a challenger (promotion is a
    separate, gated step)."""
    return _enqueue(services, user, JobKind.RETRAIN, {"quick": quick})


def start_job(services: Services, user: access.SignedIn, kind: str, **params: Any) -> Job:
    """Queues any job kind (score, drift, realised, nightly, ...) with its parameters."""
    return _enqueue(services, user, queue.kind_of(kind), params)


def recent_jobs(services: Services, user: access.SignedIn, *, limit: int = 10) -> list[Job]:
    """The latest jobs from the table, newest first ([] when the database is unreachable).
    Admins only: their logs name data and models."""
    access.require(access.can_manage_models(user), "see data and training jobs")
    if services.jobs is not None:
        services.jobs.ensure_worker(services)
    try:
        with database_errors():
            return [_job(j) for j in queue.recent(engine=services.engine, limit=limit)]
    except PdeError as exc:
        log.info("jobs unavailable: %s", exc)
        return []

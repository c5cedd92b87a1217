"""The jobs the engine runs in the background, as recorded in the `jobs` table.

Each kind is a list of `pde` commands run in their own processes, as an operator would run
them (see `steps`); `enqueue` records a job, `pde jobs worker` (pde.jobs.worker) runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from pde.core.errors import PdeError
from pde.core.settings import Settings, get_settings
from pde.db import jobs as job_table
from pde.db.engine import session_scope
from pde.db.models import Job, JobKind
from pde.jobs.datasets import new_dataset_dir

TITLES = {
    JobKind.GENERATE: "Generate demo data",
    JobKind.RETRAIN: "Retrain (a challenger)",
    JobKind.SCORE: "Score the portfolio",
    JobKind.DRIFT: "Drift of the latest scoring dates",
    JobKind.REALISED: "Realised and estimated performance",
    JobKind.NIGHTLY: "Nightly: score, performance, promises and triggers, the holdout's outcomes",
}


@dataclass(frozen=True)
class JobView:
    """A job as the CLI and the app show it."""

    job_id: int
    kind: str
    title: str
    status: str  # queued, running, completed, failed
    progress: float
    steps: list[str]  # the `pde` commands it runs, in order
    requested_by: str
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    log_tail: list[str]
    error: str | None


def kind_of(name: str) -> JobKind:
    try:
        return JobKind(name)
    except ValueError:
        known = ", ".join(kind.value for kind in JobKind)
        raise PdeError(f"unknown job kind {name!r}: one of {known}") from None


def steps(kind: JobKind, params: dict[str, Any], settings: Settings) -> list[list[str]]:
    """The `pde` commands of a job, in order (a failing one ends the job)."""
    data_dir = str(params.get("data_dir") or settings.data_dir)
    if kind == JobKind.GENERATE:
        return _generate_steps(params, settings)
    if kind == JobKind.RETRAIN:
        return [["train", "--data", data_dir, *(["--quick"] if params.get("quick") else [])]]
    score = ["score-portfolio", "--data", data_dir, "--weeks", str(int(params.get("weeks", 1)))]
    if kind == JobKind.SCORE:
        return [score]
    if kind == JobKind.DRIFT:
        return [["jobs", "run", "drift", "--data", data_dir]]
    realised = ["jobs", "run", "realised", "--data", data_dir]
    if kind == JobKind.REALISED:
        return [realised]
    casework = ["jobs", "run", "casework", "--data", data_dir]
    holdout = ["outcomes", "holdout", "--data", data_dir]
    return [score, realised, casework, holdout]  # nightly


def _generate_steps(params: dict[str, Any], settings: Settings) -> list[list[str]]:
    """A new dataset in a directory of its own, a model trained on it, the database seeded
    (or its customers refreshed) and the portfolio scored from it; only then the last step
    points PDE_DATA_DIR at it. A failing step ends the job with the old data still in use."""
    new = str(params.get("dataset_dir") or new_dataset_dir(settings.data_dir))
    simulate = ["simulate", "--customers", str(int(params.get("customers", 30_000)))]
    if params.get("drift_from_week") is not None:
        simulate += ["--drift-from-week", str(int(params["drift_from_week"]))]
    train = ["train", "--data", new, *(["--quick"] if params.get("quick", True) else [])]
    load = (
        ["db", "seed-demo", "--data-dir", new]
        if params.get("seed_users")
        else ["db", "load-customers", "--data-dir", new]
    )
    return [
        [*simulate, "--out", new],
        train,
        ["db", "upgrade"],
        load,
        ["score-portfolio", "--data", new],
        ["dataset", "use", new],
    ]


def view(job: Job, settings: Settings | None = None) -> JobView:
    kind = JobKind(job.kind)
    return JobView(
        job_id=int(job.id or 0),
        kind=kind.value,
        title=TITLES[kind],
        status=job.status.value,
        progress=job.progress,
        steps=[
            "pde " + " ".join(args) for args in steps(kind, job.params, settings or get_settings())
        ],
        requested_by=job.requested_by,
        enqueued_at=job.enqueued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        duration_s=job.duration_s,
        log_tail=[line for line in job.log_tail.splitlines() if line],
        error=job.error,
    )


def enqueue(
    kind: JobKind,
    *,
    requested_by: str,
    params: dict[str, Any] | None = None,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> JobView:
    """Records a queued job; the worker runs it when no other job runs. The data directory
    is fixed now (PDE_DATA_DIR of the caller unless `params` names one)."""
    settings = settings or get_settings()
    values = {"data_dir": str(settings.data_dir), **(params or {})}
    if kind == JobKind.GENERATE:  # fixed now, so the job shows the steps it will run
        values.setdefault("dataset_dir", str(new_dataset_dir(settings.data_dir)))
    with session_scope(engine=engine) as session:
        job = job_table.enqueue(
            session=session, kind=kind, requested_by=requested_by, params=values
        )
        return view(job, settings)


def recent(*, engine: Engine | None = None, limit: int = 20) -> list[JobView]:
    """The latest jobs, newest first."""
    with session_scope(engine=engine) as session:
        return [view(job) for job in job_table.recent(session, limit=limit)]

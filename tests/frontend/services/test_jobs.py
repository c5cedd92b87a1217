"""Background jobs of the Data Management page: recorded in the jobs table (they outlive the
app), run by a worker (here the app's own thread) as real `pde` processes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pde.core.names import Role
from pde.core.settings import Settings
from pde.db import migrate
from pde.frontend.services import Services
from pde.frontend.services.access import AccessDeniedError, SignedIn
from pde.frontend.services.jobs import (
    JobBusyError,
    JobRunner,
    recent_jobs,
    start_demo_data,
    start_job,
    start_retrain,
)

ADMIN = SignedIn("admin", "Ada Admin", Role.ADMIN)
SUPERVISOR = SignedIn("sup1", "Sam Supervisor", Role.SUPERVISOR)


@pytest.fixture
def services(make_database: Any, tmp_path: Path) -> Services:
    database = make_database("sqlite")
    migrate.upgrade(engine=database.engine)
    settings = Settings(database_url=database.url, data_dir=tmp_path / "data")
    return Services(settings=settings, engine=database.engine, jobs=JobRunner(run_worker=False))


def test_jobs_are_queued_in_the_table_and_listed_newest_first(services: Services) -> None:
    retrain = start_retrain(services, ADMIN, quick=True)
    assert retrain.state == "queued" and retrain.started_by == "admin"
    assert retrain.steps == [f"pde train --data {services.settings.data_dir} --quick"]
    with pytest.raises(JobBusyError, match="retrain job is already queued"):
        start_retrain(services, ADMIN, quick=False)
    nightly = start_job(services, ADMIN, "nightly", weeks=2)
    assert len(nightly.steps) == 4 and "--weeks 2" in nightly.steps[0]
    assert nightly.steps[2].startswith("pde jobs run casework --data")
    assert nightly.steps[3] == f"pde outcomes holdout --data {services.settings.data_dir}"
    # another app process (or the same one restarted) sees the same jobs
    again = Services(settings=services.settings, engine=services.engine)
    assert [j.job_id for j in recent_jobs(again, ADMIN)] == [nightly.job_id, retrain.job_id]
    with pytest.raises(AccessDeniedError):
        start_retrain(services, SUPERVISOR, quick=True)
    with pytest.raises(AccessDeniedError):
        recent_jobs(again, SUPERVISOR)


def test_jobs_run_by_the_apps_worker_show_their_end(services: Services) -> None:
    services.jobs = JobRunner()
    try:
        job = start_job(services, ADMIN, "generate", customers=0)  # simulate refuses 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [found] = recent_jobs(services, ADMIN)
            if found.state == "failed":
                break
            time.sleep(0.2)
    finally:
        services.jobs.stop()
    assert found.job_id == job.job_id and found.state == "failed"
    assert found.error is not None and "exited with code 1" in found.error
    assert found.tail[0].startswith("$ pde simulate --customers 0")
    assert found.finished_at is not None and found.duration_s is not None


@pytest.mark.parametrize("runs", [True, False])
def test_jobs_the_app_leaves_them_to_a_worker_when_told(
    runs: bool, make_database: Any, tmp_path: Path
) -> None:
    """PDE_APP_RUNS_JOBS=false (compose, Kubernetes): the app queues, `pde jobs worker` runs."""
    from pde.frontend.app import create_app
    from pde.frontend.services.base import EXTENSION

    database = make_database("sqlite")
    migrate.upgrade(engine=database.engine)
    settings = Settings(
        env="development", app_runs_jobs=runs, data_dir=tmp_path, model_dir=tmp_path
    )
    app = create_app(settings, engine=database.engine)
    runner = app.server.extensions[EXTENSION].jobs
    assert runner.run_worker is runs
    runner.stop()


def _scoring_up(services: Services) -> None:
    from pde.frontend.services.base import Status

    services.status = lambda *, fresh=False: Status(True, None, True, None)  # type: ignore[method-assign]


def test_demo_data_is_refused_up_front_when_a_step_could_not_succeed(services: Services) -> None:
    from pde.frontend.services.jobs import JobRefusedError

    # no scoring service: the new portfolio could not be scored
    with pytest.raises(JobRefusedError, match=r"scoring service .* is unavailable"):
        start_demo_data(services, ADMIN, customers=500)
    assert recent_jobs(services, ADMIN) == []
    assert not services.settings.data_dir.exists()
    _scoring_up(services)
    with pytest.raises(JobRefusedError, match="between 100 and 300,000"):
        start_demo_data(services, ADMIN, customers=10)
    from pde.frontend.seed import seed_portfolio

    seed_portfolio(services.engine, customers=150, days=1, interventions=0)
    with pytest.raises(JobRefusedError, match="holds 150 customers"):
        start_demo_data(services, ADMIN, customers=100)
    with pytest.raises(AccessDeniedError):
        start_demo_data(services, SUPERVISOR, customers=500)


def test_demo_data_builds_a_new_dataset_and_switches_to_it_last(services: Services) -> None:
    from pde.jobs.datasets import datasets_root

    _scoring_up(services)
    job = start_demo_data(services, ADMIN, customers=500)  # an empty database: seeds users
    new = next(s.split("--out ")[1] for s in job.steps if s.startswith("pde simulate"))
    assert Path(new).parent == datasets_root(services.settings.data_dir)
    assert [s.split(" --")[0].split(" /")[0] for s in job.steps] == [
        "pde simulate",
        "pde train",
        "pde db upgrade",
        "pde db seed-demo",
        "pde score-portfolio",
        "pde dataset use",
    ]
    assert job.steps[-1] == f"pde dataset use {new}"
    assert f"--data {new}" in job.steps[1] and f"--data {new}" in job.steps[4]

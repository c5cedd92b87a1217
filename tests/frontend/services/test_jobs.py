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
    assert len(nightly.steps) == 3 and "--weeks 2" in nightly.steps[0]
    assert nightly.steps[2].startswith("pde jobs run casework --data")
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
        job = start_demo_data(services, ADMIN, customers=0)  # simulate refuses 0 customers
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

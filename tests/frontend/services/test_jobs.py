"""Background jobs of the Data Management page: real `pde` processes, status and output."""

from __future__ import annotations

import time

from pde import __version__
from pde.frontend.services.jobs import Job, JobRunner


def _wait(job: Job, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while job.state == "running" and time.monotonic() < deadline:
        time.sleep(0.1)


def test_jobs_run_their_steps_and_keep_the_output() -> None:
    runner = JobRunner()
    job = runner.start("version twice", [["--version"], ["--version"]], started_by="admin")
    _wait(job)
    assert job.state == "completed"
    assert job.progress == 1.0
    assert job.error is None
    version = f"pde {__version__}"
    assert list(job.tail) == ["$ pde --version", version, "$ pde --version", version]
    assert runner.jobs()[0] is job


def test_jobs_stop_at_the_first_failing_step() -> None:
    runner = JobRunner()
    job = runner.start("bad", [["no-such-command"], ["--version"]], started_by="admin")
    _wait(job)
    assert job.state == "failed"
    assert job.error is not None and "no-such-command" in job.error
    assert job.step == 0
    assert runner.running() is None

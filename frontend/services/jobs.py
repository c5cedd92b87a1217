"""Background jobs of the Data Management page: each step is a real `pde` command run in its
own process (as an operator would run it), one job at a time, with status and output tail."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pde.core.errors import PdeError
from pde.frontend.services import access

if TYPE_CHECKING:
    from pde.frontend.services.base import Services

log = logging.getLogger(__name__)

TAIL_LINES = 12


class JobBusyError(PdeError):
    """A job is already running: one at a time."""


@dataclass
class Job:
    job_id: int
    title: str
    steps: list[list[str]]
    started_by: str
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    state: str = "running"  # running, completed, failed
    step: int = 0
    error: str | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))

    @property
    def progress(self) -> float:
        if self.state == "completed":
            return 1.0
        return self.step / max(len(self.steps), 1)


class JobRunner:
    """Runs one job at a time in a thread; keeps the recent jobs for the status panel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: list[Job] = []

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs[-10:]))

    def running(self) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs if j.state == "running"), None)

    def start(self, title: str, steps: list[list[str]], *, started_by: str) -> Job:
        with self._lock:
            if any(j.state == "running" for j in self._jobs):
                raise JobBusyError("another job is running; wait for it to finish")
            job = Job(job_id=len(self._jobs) + 1, title=title, steps=steps, started_by=started_by)
            self._jobs.append(job)
        threading.Thread(
            target=self._run, args=(job,), daemon=True, name=f"job-{job.job_id}"
        ).start()
        log.info("job %d (%s) started by %s", job.job_id, title, started_by)
        return job

    def _run(self, job: Job) -> None:
        for index, args in enumerate(job.steps):
            job.step = index
            job.tail.append(f"$ pde {' '.join(args)}")
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "pde.cli.main", *args],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            except OSError as exc:
                self._finish(job, f"could not start: {exc}")
                return
            assert process.stdout is not None
            for line in process.stdout:
                if line.strip():
                    job.tail.append(line.rstrip()[:200])
            if process.wait() != 0:
                self._finish(job, f"`pde {' '.join(args)}` exited with code {process.returncode}")
                return
        job.step = len(job.steps)
        self._finish(job, None)

    def _finish(self, job: Job, error: str | None) -> None:
        job.error = error
        job.state = "failed" if error else "completed"
        job.finished_at = time.time()
        log.info("job %d %s", job.job_id, job.state)


def _runner(services: Services, user: access.SignedIn) -> JobRunner:
    access.require(access.can_manage_models(user), "run data and training jobs")
    if services.jobs is None:
        raise PdeError("background jobs are not available")
    return services.jobs


def start_demo_data(services: Services, user: access.SignedIn, *, customers: int) -> Job:
    """Simulates `customers` into PDE_DATA_DIR, migrates the database and seeds the demo."""
    data_dir = str(services.settings.data_dir)
    steps = [
        ["simulate", "--customers", str(customers), "--out", data_dir],
        ["db", "upgrade"],
        ["db", "seed-demo"],
    ]
    return _runner(services, user).start("Generate demo data", steps, started_by=user.username)


def start_retrain(services: Services, user: access.SignedIn, *, quick: bool) -> Job:
    """Trains a new bundle on PDE_DATA_DIR (promotion is a separate step)."""
    step = ["train", "--data", str(services.settings.data_dir), *(["--quick"] if quick else [])]
    return _runner(services, user).start("Retrain", [step], started_by=user.username)


def recent_jobs(services: Services, user: access.SignedIn) -> list[Job]:
    """The jobs started in this app process (admins only: their logs name data and models)."""
    access.require(access.can_manage_models(user), "see data and training jobs")
    return services.jobs.jobs() if services.jobs else []

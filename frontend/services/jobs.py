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

log = logging.getLogger(__name__)

TAIL_LINES = 12


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
                raise RuntimeError("another job is running; wait for it to finish")
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

"""`pde jobs worker`: runs the queued jobs of the `jobs` table, one at a time, oldest first.

Each step of a job is a `pde` command in its own process; its output's tail and the progress
are written to the job's row every few seconds (the heartbeat). On start, a worker fails the
jobs left `running` by a worker that died (a process of this host that no longer exists, or
any worker silent for PDE_JOB_STALE_SECONDS), so a restart never leaves a job running forever.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from pde.core.settings import Settings, get_settings
from pde.db import jobs as job_table
from pde.db.engine import session_scope
from pde.db.errors import ConstraintViolationError
from pde.db.models import Job, JobKind
from pde.db.types import utc_now
from pde.jobs.metrics import WorkerMetrics
from pde.jobs.queue import steps

log = logging.getLogger(__name__)

TAIL_LINES = 40
HEARTBEAT_S = 3.0


def worker_name() -> str:
    """host:pid:random, so that a restarted process is a different worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def dead_workers(names: list[str | None]) -> set[str]:
    """The workers among `names` that ran on this host in a process that no longer exists."""
    host = socket.gethostname()
    dead = set()
    for name in names:
        parts = (name or "").split(":")
        ours = len(parts) == 3 and parts[0] == host and parts[1].isdigit()
        if ours and not _alive(int(parts[1])):
            dead.add(str(name))
    return dead


@dataclass
class _Running:
    """The state of the job being run, shared with the heartbeat thread."""

    job_id: int
    total_steps: int
    step: int = 0
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    process: subprocess.Popen[str] | None = None
    lost: bool = False  # the row is no longer ours (failed as stale by another worker)

    @property
    def progress(self) -> float:
        return self.step / max(self.total_steps, 1)


class Worker:
    """Claims and runs jobs; `run_once` for one job, `run_forever` until `stop` is set."""

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        settings: Settings | None = None,
        name: str | None = None,
        poll_seconds: float = 2.0,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        """`metrics`: where finished jobs are counted for Prometheus (pde.jobs.metrics)."""
        self.engine = engine
        self.settings = settings or get_settings()
        self.name = name or worker_name()
        self.poll_seconds = poll_seconds
        self.metrics = metrics

    def recover(self) -> list[int]:
        """Fails the jobs a dead or silent worker left running; returns their ids."""
        stale = utc_now() - timedelta(seconds=self.settings.job_stale_seconds)
        with session_scope(engine=self.engine) as session:
            names = [job.worker for job in job_table.running(session)]
            failed = job_table.fail_abandoned(
                session=session, stale_before=stale, dead_workers=dead_workers(names)
            )
        for job_id in failed:
            log.warning("job %d was left running by a worker that stopped: failed", job_id)
        if self.metrics is not None:
            self.metrics.recovered(len(failed))
        return failed

    def claim(self) -> Job | None:
        try:
            with session_scope(engine=self.engine) as session:
                return job_table.claim_next(session=session, worker=self.name)
        except ConstraintViolationError:  # another worker started a job first
            return None

    def run_once(self) -> Job | None:
        """Runs the oldest queued job to its end; None when none could be claimed."""
        job = self.claim()
        if job is None:
            return None
        assert job.id is not None
        commands = steps(JobKind(job.kind), job.params, self.settings)
        state = _Running(job.id, len(commands))
        log.info("job %d (%s) started by worker %s", job.id, job.kind.value, self.name)
        started = time.monotonic()
        if self.metrics is not None:
            self.metrics.started()
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(state, done), daemon=True)
        beat.start()
        try:
            error = self._run_steps(state, commands)
        except Exception as exc:  # the job fails, the worker goes on
            error = f"the worker could not run the job: {exc}"
        finally:
            done.set()
            beat.join()
        if state.lost:
            return job
        with session_scope(engine=self.engine) as session:
            finished = job_table.finish(
                session=session, job_id=job.id, error=error, log_tail="\n".join(state.tail)
            )
        log.info("job %d %s", job.id, finished.status.value)
        if self.metrics is not None:
            self.metrics.finished(
                finished.kind.value,
                finished.status.value,
                seconds=time.monotonic() - started,
                at=time.time(),
            )
        return finished

    def run_forever(self, stop: threading.Event) -> None:
        """Recovers abandoned jobs, then polls for work until `stop` is set."""
        self.recover()
        while not stop.is_set():
            if self.run_once() is None:
                stop.wait(self.poll_seconds)

    def _run_steps(self, state: _Running, commands: list[list[str]]) -> str | None:
        for index, args in enumerate(commands):
            state.step = index
            state.tail.append(f"$ pde {' '.join(args)}")
            process = subprocess.Popen(
                [sys.executable, "-m", "pde.cli.main", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env={**os.environ, "COLUMNS": "120"},
            )
            state.process = process
            assert process.stdout is not None
            for line in process.stdout:
                if line.strip():
                    state.tail.append(line.rstrip()[:200])
            if process.wait() != 0:
                if state.lost:
                    return "stopped: the job was failed as abandoned"
                return f"`pde {' '.join(args)}` exited with code {process.returncode}"
        state.step = len(commands)
        return None

    def _heartbeat(self, state: _Running, done: threading.Event) -> None:
        while not done.wait(HEARTBEAT_S):
            try:
                with session_scope(engine=self.engine) as session:
                    ours = job_table.report(
                        session=session,
                        job_id=state.job_id,
                        worker=self.name,
                        progress=state.progress,
                        log_tail="\n".join(state.tail),
                    )
            except Exception as exc:  # a database hiccup must not kill the job
                log.warning("heartbeat of job %d failed: %s", state.job_id, exc)
                continue
            if not ours:
                state.lost = True
                if state.process is not None and state.process.poll() is None:
                    state.process.terminate()
                return

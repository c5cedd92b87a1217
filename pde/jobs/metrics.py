"""The jobs worker's Prometheus metrics, served on PDE_WORKER_METRICS_PORT (0 = off).

- `pde_jobs_total{kind, status}`: jobs the worker finished, by kind and status
  (completed, failed);
- `pde_job_duration_seconds{kind}`: how long a job ran, histogram;
- `pde_job_last_success_timestamp_seconds{kind}`: when a job of the kind last completed
  (Unix time): the age of the nightly run's is what an operator alerts on;
- `pde_jobs_running`: 1 while the worker runs a job;
- `pde_jobs_recovered_total`: jobs a stopped worker left running that this one failed;
- `process_*`: the worker process's memory, CPU and open files.
"""

from __future__ import annotations

from typing import Any

# Jobs run from seconds (drift) to an hour (a full retrain).
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)


class WorkerMetrics:
    """The worker's metrics in a registry of their own (one per worker)."""

    def __init__(self) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            ProcessCollector,
        )

        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._jobs = Counter(
            "pde_jobs",
            "Jobs the worker finished, by kind and status.",
            ["kind", "status"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "pde_job_duration_seconds",
            "How long a job ran, by kind.",
            ["kind"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._last_success = Gauge(
            "pde_job_last_success_timestamp_seconds",
            "When a job of the kind last completed (Unix time).",
            ["kind"],
            registry=self.registry,
        )
        self._running = Gauge(
            "pde_jobs_running", "1 while the worker runs a job.", registry=self.registry
        )
        self._recovered = Counter(
            "pde_jobs_recovered",
            "Jobs left running by a stopped worker that this worker failed.",
            registry=self.registry,
        )

    def started(self) -> None:
        self._running.set(1)

    def finished(self, kind: str, status: str, *, seconds: float, at: float) -> None:
        """Records a finished job: its status, duration and, when it completed, the time."""
        self._running.set(0)
        self._jobs.labels(kind, status).inc()
        self._duration.labels(kind).observe(seconds)
        if status == "completed":
            self._last_success.labels(kind).set(at)

    def recovered(self, count: int) -> None:
        self._recovered.inc(count)

    def serve(self, *, host: str, port: int) -> Any:
        """Serves the metrics on http://host:port/metrics; returns the stop function."""
        from pde.core.metrics_http import start_metrics_endpoint

        return start_metrics_endpoint(self.registry, host=host, port=port)

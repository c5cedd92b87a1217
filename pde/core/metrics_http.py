"""The HTTP endpoint that Prometheus scrapes (`/metrics`), for any process of the engine.

Off unless a port is set (PDE_METRICS_PORT for the scoring server, PDE_WORKER_METRICS_PORT for
the jobs worker): a bank's hosts open no port that their deployment did not ask for. The
endpoint serves counts, latencies and the model version, never customer data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pde.core.errors import PdeError


class MetricsEndpointError(PdeError):
    """The metrics port cannot be bound."""


def start_metrics_endpoint(registry: Any, *, host: str, port: int) -> Callable[[], None]:
    """Serves `registry` on http://host:port/metrics in a daemon thread; returns the function
    that stops it."""
    from prometheus_client import start_http_server

    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise MetricsEndpointError(f"cannot serve metrics on {host}:{port}: {exc}") from None

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop

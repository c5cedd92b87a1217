"""How a scoring server runs: its options, read from the `PDE_*` settings or given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pde.core.settings import Settings
from pde.server.inputs import MAX_BATCH_ROWS
from pde.server.transport.clientlog import WINDOW_SECONDS

# Handler threads of the gRPC server: the calls other than Score served at once (streams,
# explanations, the inference service, health; a stream holds one for its length, later
# calls wait for a free thread). Idle threads cost nothing; busy ones share the GIL.
HANDLER_THREADS = 8
# Threads answering Score (PDE_GRPC_SCORE_THREADS), apart from the others so that streams
# never hold it up. Few: each call is a short hold of the GIL, and more threads only queue
# for it (measured with `pde bench grpc`, see docs/operations.md, "Serving speed").
SCORE_THREADS = 2


@dataclass(frozen=True)
class ServerOptions:
    """How the server runs; `from_settings` reads them from the `PDE_*` settings."""

    address: str
    model_dir: Path
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    workers: int = 2
    # None: sized for a full batch of the `current` bundle at start; a number fixes it (MiB).
    max_message_mb: int | None = None
    max_batch_rows: int = MAX_BATCH_ROWS
    # Client errors of one kind are logged once per window, with a count of the others.
    log_window_seconds: float = WINDOW_SECONDS
    # drain + grace stay under the 10 s a container runtime waits after SIGTERM.
    grace_seconds: float = 8.0
    # NOT_SERVING is announced this long before new calls are refused, so that probes and
    # load balancers move traffic away first.
    drain_seconds: float = 1.0
    handler_threads: int = HANDLER_THREADS
    score_threads: int = SCORE_THREADS
    # Several processes bind the same port (`pde serve --processes`, see processes.py).
    reuse_port: bool = False
    # Prometheus metrics on http://metrics_host:metrics_port/metrics (pde.server.prometheus);
    # port 0 = off.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    # A bundle version under model_dir scored in the shadow of the champion on ScoreStream.
    challenger: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ServerOptions:
        values: dict[str, Any] = {
            "address": settings.grpc_address,
            "model_dir": settings.model_dir,
            "token": settings.grpc_token.get_secret_value() if settings.grpc_token else None,
            "tls_cert": settings.grpc_tls_cert,
            "tls_key": settings.grpc_tls_key,
            "workers": settings.grpc_workers,
            "score_threads": settings.grpc_score_threads,
            "metrics_host": settings.metrics_host,
            "metrics_port": settings.metrics_port,
            "challenger": settings.challenger_version,
            # Only when set: left unset, the server sizes it for the bundle.
            "max_message_mb": (
                settings.grpc_max_message_mb
                if "grpc_max_message_mb" in settings.model_fields_set
                else None
            ),
        }
        values.update(overrides)
        return cls(**values)

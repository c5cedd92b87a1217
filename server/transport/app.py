"""The scoring server process: gRPC server, health, reflection, signals, reload and metrics.

gRPC's synchronous server: Score is answered on threads of its own, everything else on the
handler threads (see `pde.server.transport.servicer`).

Lifecycle: `start()` binds and answers health probes with NOT_SERVING; `load()` loads, warms
and checks the bundle, then health turns SERVING; `stop()` turns it NOT_SERVING, refuses new
calls and lets in-flight ones finish within the grace period. SIGTERM / SIGINT stop, SIGHUP
reloads the `current` bundle (a bad one is refused and the old one keeps serving).

The largest message is sized at start for the `current` bundle: a full batch of
`max_batch_rows` rows of its features (see `pde.server.inputs.batch_message_bytes`), unless
`max_message_mb` fixes it. Client errors are logged at most once per kind and window.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any, cast

import grpc
from grpc_health.v1 import health, health_pb2
from grpc_reflection.v1alpha import reflection

from pde.contracts.bundle import BundleError, current_bundle_dir, read_manifest
from pde.core.errors import PdeError
from pde.risk.v1 import risk_pb2
from pde.server.bundle import LoadedBundle
from pde.server.errors import ReloadRefusedError
from pde.server.inputs import batch_message_bytes
from pde.server.metrics import Metrics
from pde.server.scorer import Scorer
from pde.server.shadow import Shadow
from pde.server.transport import inference
from pde.server.transport.auth import Access
from pde.server.transport.clientlog import (
    GRPC_LOGGER,
    ClientErrorLog,
    LibraryErrorFilter,
)
from pde.server.transport.options import ServerOptions
from pde.server.transport.parsing import add_service
from pde.server.transport.pool import HandlerPool
from pde.server.transport.servicer import RiskScoringServicer

log = logging.getLogger(__name__)

SERVICE_NAME = risk_pb2.DESCRIPTOR.services_by_name["RiskScoring"].full_name
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
# How long a stop waits for the handler threads to finish what a stopped server left them.
STOP_WAIT_SECONDS = 5.0
# The message limit when no bundle can be read at start to size it.
FALLBACK_MESSAGE_MB = 64


class ServerStartError(PdeError):
    """The server cannot bind its address (in use, bad host, unreadable TLS files)."""


class ScoringServer:
    """One scoring server: gRPC's synchronous server, Score on `score_threads` threads of
    its own and the other methods on `handler_threads`.

    Few Score threads: each call holds the GIL for a short while, and more threads only
    queue for it and hand it over. Measured with `pde bench grpc` against the asyncio server
    that answered Score on its event loop (see docs/operations.md, "Serving speed").
    """

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.metrics = Metrics()
        self.message_limit = self._message_limit()
        self.client_log = ClientErrorLog(log, window_seconds=options.log_window_seconds)
        self._library_filter = LibraryErrorFilter(self.client_log)
        self.scorer = Scorer(
            model_dir=options.model_dir,
            workers=options.workers,
            max_batch_rows=options.max_batch_rows,
            message_limit=self.message_limit,
        )
        self.shadow = Shadow()
        self._handlers = HandlerPool(max_workers=options.handler_threads, thread_name_prefix="grpc")
        self._scoring = ThreadPoolExecutor(
            max_workers=options.score_threads, thread_name_prefix="pde-score-call"
        )
        self._server: grpc.Server | None = None
        self._health = health.HealthServicer()
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._stopping = False
        self._stop_metrics: Callable[[], None] | None = None
        self.port = 0

    def _message_limit(self) -> int:
        """The largest message in bytes: fixed by the options, or a full batch of the
        `current` bundle (its manifest is read, not verified: the load checks it)."""
        options = self.options
        if options.max_message_mb is not None:
            return options.max_message_mb * 2**20
        try:
            manifest = read_manifest(current_bundle_dir(options.model_dir), verify=False)
        except BundleError as exc:
            log.warning(
                "message limit %d MiB: no bundle to size it for (%s)", FALLBACK_MESSAGE_MB, exc
            )
            return FALLBACK_MESSAGE_MB * 2**20
        return batch_message_bytes(len(manifest.feature_names), options.max_batch_rows)

    def _set_health(self, status: Any) -> None:
        for service in ("", SERVICE_NAME):
            self._health.set(service, status)

    def _build(self) -> grpc.Server:
        """The server with every service added."""
        options = self.options
        server = grpc.server(
            # typed as a ThreadPoolExecutor, of which gRPC calls only `submit`
            cast(ThreadPoolExecutor, self._handlers),
            options=[
                ("grpc.max_receive_message_length", self.message_limit),
                ("grpc.max_send_message_length", self.message_limit),
                ("grpc.so_reuseport", 1 if options.reuse_port else 0),
            ],
        )
        servicer = RiskScoringServicer(
            scorer=self.scorer,
            metrics=self.metrics,
            client_log=self.client_log,
            shadow=self.shadow,
        )
        access = Access(options.token)
        add_service(
            server,
            risk_pb2.DESCRIPTOR.services_by_name["RiskScoring"],
            servicer,
            access=access,
            pools={"Score": self._scoring},
        )
        add_service(
            server,
            inference.SERVICE,
            inference.InferenceServicer(
                scorer=self.scorer, metrics=self.metrics, client_log=self.client_log
            ),
            access=access,
        )
        add_service(
            server,
            health_pb2.DESCRIPTOR.services_by_name["Health"],
            self._health,
            access=access,
            guard=True,
        )
        reflection.enable_server_reflection(
            (SERVICE_NAME, inference.SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME),
            server,
        )
        return server

    def _start(self) -> int:
        options = self.options
        self._set_health(SERVING if self.scorer.ready else NOT_SERVING)
        server = self._build()
        if options.tls_cert and options.tls_key:
            credentials = grpc.ssl_server_credentials(
                [(options.tls_key.read_bytes(), options.tls_cert.read_bytes())]
            )
            port = server.add_secure_port(options.address, credentials)
        else:
            port = server.add_insecure_port(options.address)
        if port == 0:
            raise RuntimeError("the address cannot be bound")
        logging.getLogger(GRPC_LOGGER).addFilter(self._library_filter)
        server.start()
        self._server = server
        return port

    def start(self) -> int:
        """Binds and starts answering (health NOT_SERVING until `load`, unless loaded
        already); returns the port."""
        try:
            self.port = self._start()
        except Exception as exc:
            raise ServerStartError(
                f"cannot start the scoring server on {self.options.address}: {exc}"
            ) from None
        if self.options.metrics_port:
            self._start_metrics()
        log.info(
            "listening on %s (port %d, %s, %s, messages up to %.1f MiB); %s",
            self.options.address,
            self.port,
            "TLS" if self.options.tls_cert else "plaintext",
            "token required" if self.options.token else "no token: admin calls refused",
            self.message_limit / 2**20,
            "SERVING" if self.scorer.ready else "NOT_SERVING until the model is loaded",
        )
        return self.port

    def _start_metrics(self) -> None:
        from pde.core.metrics_http import MetricsEndpointError, start_metrics_endpoint
        from pde.server.prometheus import registry_for

        host, port = self.options.metrics_host, self.options.metrics_port
        try:
            self._stop_metrics = start_metrics_endpoint(
                registry_for(self.metrics, self.scorer), host=host, port=port
            )
        except MetricsEndpointError as exc:
            self.stop(grace=0, drain=0)
            raise ServerStartError(str(exc)) from None
        log.info("Prometheus metrics on http://%s:%d/metrics", host, port)

    def load(self, path: Path | None = None) -> LoadedBundle:
        """Loads the bundle (default: `current`) and turns health SERVING."""
        bundle = self.scorer.load(path)
        if self.options.challenger:
            self.load_challenger(self.options.challenger, bundle)
        self._set_health(SERVING)
        log.info("model %s loaded for %s", bundle.version, self.options.address)
        return bundle

    def load_challenger(self, version: str, champion: LoadedBundle) -> None:
        """Loads the shadow challenger named at start; a bad one is logged and the champion
        serves alone (the shadow is never a reason not to serve)."""
        try:
            directory = self.scorer.resolve(version)
            if directory is None:
                raise ReloadRefusedError("no challenger version given")
            self.shadow.load(directory, champion, preflight=False)
        except PdeError as exc:
            log.error("serving without the challenger %r: %s", version, exc)

    def reload(self, path: Path | None = None) -> LoadedBundle | None:
        """Hot reload; a bad bundle is logged and refused, and None returned."""
        try:
            return self.scorer.reload(path)
        except ReloadRefusedError:
            return None

    def stop(self, grace: float | None = None, *, drain: float | None = None) -> None:
        """Graceful shutdown: NOT_SERVING, drain, refuse new calls, let in-flight ones finish.

        Only the first call acts; later ones return at once.
        """
        with self._stop_lock:
            if self._stopping:
                return
            self._stopping = True
        grace = self.options.grace_seconds if grace is None else grace
        drain = self.options.drain_seconds if drain is None else drain
        log.info("shutting down: NOT_SERVING, in-flight calls get %.0f s", grace)
        server = self._server
        if server is not None:
            self._health.enter_graceful_shutdown()
            if drain > 0:
                time.sleep(drain)
            server.stop(grace).wait()
            if not self._handlers.wait_idle(STOP_WAIT_SECONDS):
                log.warning("handler threads still busy %.0f s after the stop", STOP_WAIT_SECONDS)
        self._handlers.shutdown(wait=False, cancel_futures=True)
        self._scoring.shutdown(wait=False, cancel_futures=True)
        self.scorer.close()
        if self._stop_metrics is not None:
            self._stop_metrics()
        logging.getLogger(GRPC_LOGGER).removeFilter(self._library_filter)
        self.client_log.flush()
        self._stopped.set()
        log.info("stopped; metrics: %s", self.metrics_summary())

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until stopped; True when stopped."""
        return self._stopped.wait(timeout)

    def metrics_snapshot(self) -> dict[str, Any]:
        """Counters and latency histograms per RPC method (see `pde.server.metrics`)."""
        return self.metrics.snapshot()

    def metrics_summary(self) -> str:
        parts = []
        for method, m in sorted(self.metrics_snapshot().items()):
            parts.append(
                f"{method} calls={m['calls']} rows={m['rows']} "
                f"mean={m['mean_ms']:.2f}ms p50<={m['p50_ms_le']}ms p99<={m['p99_ms_le']}ms"
            )
        return "; ".join(parts) or "no calls"

    def install_signal_handlers(self) -> None:
        """SIGTERM / SIGINT: graceful stop; SIGHUP: reload `current` (main thread only)."""

        def on_stop(signum: int, frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            threading.Thread(target=self.stop, name="pde-stop", daemon=True).start()

        def on_reload(signum: int, frame: FrameType | None) -> None:
            log.info("received SIGHUP: reloading the current bundle")
            threading.Thread(target=self.reload, name="pde-reload", daemon=True).start()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_reload)


def serve(options: ServerOptions, *, metrics_log_seconds: float = 300.0) -> None:
    """Runs a server until SIGTERM / SIGINT: bind, load the current bundle, serve, stop.

    One process on its own port binds first, so that probes see it alive (NOT_SERVING) while
    it loads. One of several on a shared port (`reuse_port`) loads first and binds after: the
    kernel hands new connections to every process listening on the port, and one still
    loading would answer them FAILED_PRECONDITION while another reports SERVING.
    """
    server = ScoringServer(options)
    server.install_signal_handlers()
    steps = (server.load, server.start) if options.reuse_port else (server.start, server.load)
    try:
        for step in steps:
            if server.wait(0):
                break  # stopped by a signal while loading: nothing to bind
            step()
    except Exception:
        server.stop(grace=0, drain=0)
        raise
    # The libraries and the bundle are ~165k long-lived objects: a full collection walks them
    # all (~100 ms here, a latency spike). Freezing them leaves only new objects to collect.
    gc.freeze()
    while not server.wait(metrics_log_seconds):
        log.info("metrics: %s", server.metrics_summary())

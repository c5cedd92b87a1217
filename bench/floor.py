"""The floors of `pde bench grpc`: do-nothing RiskScoring servers.

The floor is what gRPC itself costs on this machine, and so the best any scoring server
could do: a synchronous `grpc.server` with the handler threads of `pde serve`, generated
stubs and health, whose Score parses the request and answers a constant reply.

The model floor (given a bundle directory; `pde bench grpc` gives it as many threads as `pde
serve` answers Score with) is the floor whose Score also runs the bundle's merged ONNX graph
(`pde.server.fused`) on the packed row, and nothing else: no checks, clipping, calibration,
metrics or reply of its own. It is the best a server that runs the model on each call could
do on this machine, so it tells what the model costs in a server apart from what `pde serve`
adds around it.

Run as its own process, like `pde serve`: `python -m pde.bench.floor ADDRESS THREADS
[BUNDLE_DIR]`; it stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from pde.server import fused
from pde.server.transport.codecs import packed_values

REPLY = risk_pb2.ScoreResponse(
    probability=0.1,
    model_probabilities={"catboost": 0.1, "xgboost": 0.1, "lightgbm": 0.1},
    tier="low",
    model_version="floor",
)


class FloorServicer(risk_pb2_grpc.RiskScoringServicer):
    def Score(self, request: risk_pb2.ScoreRequest, context: Any) -> risk_pb2.ScoreResponse:  # noqa: N802
        return REPLY


class ModelFloorServicer(risk_pb2_grpc.RiskScoringServicer):
    """Runs the merged graph on each packed row, then answers the constant reply."""

    def __init__(self, bundle_dir: Path) -> None:
        from pde.contracts.bundle import read_manifest
        from pde.server.bundle import merge

        manifest = read_manifest(bundle_dir, verify=True)
        merged = merge(bundle_dir, manifest, threads=1)
        if merged is None:
            raise SystemExit(f"{bundle_dir}: its graphs do not merge into one")
        self._run = merged.session.run
        self._outputs = merged.outputs
        self._width = len(manifest.feature_names)

    def Score(self, request: risk_pb2.ScoreRequest, context: Any) -> risk_pb2.ScoreResponse:  # noqa: N802
        row = packed_values(request.packed).astype(np.float32).reshape(1, -1)
        if row.shape[1] != self._width:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"send {self._width} packed values")
        self._run(self._outputs, {fused.INPUT: row})
        return REPLY


def serve(address: str, threads: int, bundle_dir: Path | None = None) -> None:
    """Serves until SIGTERM / SIGINT."""
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    servicer = FloorServicer() if bundle_dir is None else ModelFloorServicer(bundle_dir)
    server = grpc.server(ThreadPoolExecutor(max_workers=threads))
    risk_pb2_grpc.add_RiskScoringServicer_to_server(servicer, server)
    checks = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checks, server)
    for service in ("", "pde.risk.v1.RiskScoring"):
        checks.set(service, health_pb2.HealthCheckResponse.SERVING)
    if server.add_insecure_port(address) == 0:
        raise SystemExit(f"cannot bind {address}")
    server.start()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    while not stopped.wait(0.5):
        pass
    server.stop(0).wait()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)

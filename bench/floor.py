"""The floor of `pde bench grpc`: a do-nothing RiskScoring server.

What gRPC itself costs on this machine, and so the best any scoring server could do: the
same transport as `pde serve` (a synchronous `grpc.server` with the same number of handler
threads, generated stubs, health), whose Score parses the request and answers a constant
reply without scoring. Run as its own process, like `pde serve`:
`python -m pde.bench.floor ADDRESS THREADS`; it stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pde.risk.v1 import risk_pb2, risk_pb2_grpc

REPLY = risk_pb2.ScoreResponse(
    probability=0.1,
    model_probabilities={"catboost": 0.1, "xgboost": 0.1, "lightgbm": 0.1},
    tier="low",
    model_version="floor",
)


class FloorServicer(risk_pb2_grpc.RiskScoringServicer):
    def Score(self, request: risk_pb2.ScoreRequest, context: Any) -> risk_pb2.ScoreResponse:  # noqa: N802
        return REPLY


def serve(address: str, threads: int) -> None:
    """Serves until SIGTERM / SIGINT."""
    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    server = grpc.server(ThreadPoolExecutor(max_workers=threads))
    risk_pb2_grpc.add_RiskScoringServicer_to_server(FloorServicer(), server)
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
    serve(sys.argv[1], int(sys.argv[2]))

"""A gRPC health probe for containers: exit 0 when the scoring service is SERVING.

python -m pde.client.probe [ADDRESS] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICE = "pde.risk.v1.RiskScoring"


def probe(address: str, *, timeout: float = 2.0, service: str = SERVICE) -> bool:
    """True when the server at `address` reports SERVING for `service`."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def main() -> int:
    from pde.core.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("address", nargs="?", default=None)
    parser.add_argument("--timeout", type=float, default=2.0)
    options = parser.parse_args()
    address = options.address or get_settings().grpc_address
    serving = probe(address, timeout=options.timeout)
    sys.stdout.write(("SERVING" if serving else "NOT_SERVING") + f" {address}\n")
    return 0 if serving else 1


if __name__ == "__main__":
    sys.exit(main())

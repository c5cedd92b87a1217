"""Channel settings shared by the sync and async clients: retries, balancing, limits, auth,
TLS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from pde.core.addresses import grpc_target

SERVICE = "pde.risk.v1.RiskScoring"
HEALTH_SERVICE = "grpc.health.v1.Health"

# Retries only on UNAVAILABLE (server starting, restarting or unreachable for a moment):
# every RiskScoring call is idempotent except ReloadModel, which is not retried.
# `round_robin` spreads calls over every replica the target resolves to (several addresses
# or one DNS name); the default, pick_first, would send everything to the first one.
LB_POLICY = "round_robin"
SERVICE_CONFIG = {
    "loadBalancingConfig": [{LB_POLICY: {}}],
    "methodConfig": [
        {
            "name": [
                {"service": SERVICE, "method": method}
                for method in ("Score", "ScoreStream", "Explain", "ExplainStream", "GetModelInfo")
            ]
            + [{"service": HEALTH_SERVICE}],
            "retryPolicy": {
                "maxAttempts": 4,
                "initialBackoff": "0.1s",
                "maxBackoff": "2s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ],
}


@dataclass(frozen=True)
class ClientOptions:
    """How a client connects; defaults suit a service on the same network."""

    address: str
    token: str | None = None
    tls: bool = False
    root_certificates: Path | None = None  # PEM CA bundle; None = system roots
    timeout: float = 5.0  # default deadline of unary calls, in seconds
    stream_timeout: float | None = 3600.0  # default deadline of a whole stream
    max_message_mb: int = 64

    @property
    def target(self) -> str:
        """The gRPC target of `address` (one host:port, several replicas or a DNS name)."""
        return grpc_target(self.address)

    def channel_options(self) -> list[tuple[str, Any]]:
        limit = self.max_message_mb * 1024 * 1024
        return [
            ("grpc.enable_retries", 1),
            ("grpc.lb_policy_name", LB_POLICY),
            ("grpc.service_config", json.dumps(SERVICE_CONFIG)),
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
        ]

    def credentials(self) -> grpc.ChannelCredentials | None:
        if not (self.tls or self.root_certificates):
            return None
        roots = self.root_certificates.read_bytes() if self.root_certificates else None
        return grpc.ssl_channel_credentials(root_certificates=roots)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

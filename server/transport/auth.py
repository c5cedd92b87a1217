"""Who may call what: bearer-token authentication, and admin methods closed without a token.

With a token configured, every RiskScoring and inference call needs `authorization: Bearer
<token>` (compared in constant time); health, reflection and the inference liveness and
readiness probes stay open. Without one, scoring is open to whoever reaches the port, but
admin methods (`ReloadModel`) are refused with PERMISSION_DENIED: loading bundles is never
anonymous (SIGHUP still reloads locally).

The rules are applied when a method is registered (`Access.guard`, called by
`pde.server.transport.parsing.add_service` for every method it serves), not by a server
interceptor: an interceptor costs every call the registered-method fast path (and measured
on an asyncio server, ~90 us of a ~0.9 ms p50), a wrapper only a function call, and nothing
at all where a method is open.
"""

from __future__ import annotations

import hmac
from typing import Any

import grpc

from pde.server.transport.wrapping import Behaviour, behind

# Liveness and readiness probes stay open, like health (meshes and load balancers call them).
OPEN_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.",
    "/inference.GRPCInferenceService/ServerLive",
    "/inference.GRPCInferenceService/ServerReady",
)
ADMIN_METHODS = frozenset({"/pde.risk.v1.RiskScoring/ReloadModel"})

DENIED = "missing or wrong bearer token (metadata `authorization: Bearer <token>`)"
ADMIN_CLOSED = (
    "{method} is disabled: this server has no token; start it with PDE_GRPC_TOKEN set and "
    "call with `authorization: Bearer <token>` (SIGHUP reloads the current bundle locally)"
)


class Access:
    """The server's access rules: the token on every method but the open ones, or, without
    a token, the admin methods closed."""

    def __init__(self, token: str | None) -> None:
        self._expected = f"Bearer {token}".encode() if token else None

    def _token_check(self, request: Any, context: Any) -> tuple[grpc.StatusCode, str] | None:
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                given = value.encode() if isinstance(value, str) else value
                if hmac.compare_digest(given, self._expected or b""):
                    return None
                break
        return grpc.StatusCode.UNAUTHENTICATED, DENIED

    def guard(self, method: str, behaviour: Behaviour, *, streaming: bool) -> Behaviour:
        """`behaviour` as served for `method` (its full name, `/package.Service/Method`;
        `streaming`: its responses are a stream)."""
        if method.startswith(OPEN_PREFIXES):
            return behaviour
        if self._expected is not None:
            return behind(self._token_check, behaviour, streaming=streaming)
        if method in ADMIN_METHODS:
            refusal = (
                grpc.StatusCode.PERMISSION_DENIED,
                ADMIN_CLOSED.format(method=method.rsplit("/", 1)[-1]),
            )
            return behind(lambda request, context: refusal, behaviour, streaming=streaming)
        return behaviour

"""Who may call what: bearer-token authentication, and admin methods closed without a token.

With a token configured, every RiskScoring and inference call needs `authorization: Bearer
<token>` (compared in constant time); health, reflection and the inference liveness and
readiness probes stay open. Without one, scoring is open to whoever reaches the port, but
admin methods (`ReloadModel`) are refused with PERMISSION_DENIED: loading bundles is never
anonymous (SIGHUP still reloads locally).

The rules are applied when a method is registered (`Access.guard`, called by
`pde.server.transport.parsing.add_service` for every method it serves), not by a server
interceptor: on the asyncio server an interceptor costs every call a coroutine step and the
registered-method fast path (measured: ~90 us of a ~0.9 ms p50), a wrapper only a function
call, and nothing at all where a method is open.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import grpc

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

Behaviour = Callable[[Any, Any], Any]
# Why a call is refused (code, message), or None when it may go on.
Check = Callable[[Any], "tuple[grpc.StatusCode, str] | None"]


def _behind(check: Check, behaviour: Behaviour) -> Behaviour:
    """`behaviour` behind `check`, of the same kind (coroutine, generator or plain function):
    the asyncio server runs coroutines on its loop, the others on a handler thread, and a
    plain function that returns an iterator would run on the loop, where a blocking abort
    would stall it."""
    if inspect.iscoroutinefunction(behaviour):

        async def on_loop(request: Any, context: Any) -> Any:
            refused = check(context)
            if refused is not None:
                await context.abort(*refused)
            return await behaviour(request, context)

        return on_loop
    if inspect.isgeneratorfunction(behaviour):

        def streamed(request: Any, context: Any) -> Iterator[Any]:
            refused = check(context)
            if refused is not None:
                context.abort(*refused)
            yield from behaviour(request, context)

        return streamed

    def plain(request: Any, context: Any) -> Any:
        refused = check(context)
        if refused is not None:
            context.abort(*refused)
        return behaviour(request, context)

    return plain


class Access:
    """The server's access rules: the token on every method but the open ones, or, without
    a token, the admin methods closed."""

    def __init__(self, token: str | None) -> None:
        self._expected = f"Bearer {token}".encode() if token else None

    def _token_check(self, context: Any) -> tuple[grpc.StatusCode, str] | None:
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                given = value.encode() if isinstance(value, str) else value
                if hmac.compare_digest(given, self._expected or b""):
                    return None
                break
        return grpc.StatusCode.UNAUTHENTICATED, DENIED

    def guard(self, method: str, behaviour: Behaviour) -> Behaviour:
        """`behaviour` as served for `method` (its full name, `/package.Service/Method`)."""
        if method.startswith(OPEN_PREFIXES):
            return behaviour
        if self._expected is not None:
            return _behind(self._token_check, behaviour)
        if method in ADMIN_METHODS:
            refusal = (
                grpc.StatusCode.PERMISSION_DENIED,
                ADMIN_CLOSED.format(method=method.rsplit("/", 1)[-1]),
            )
            return _behind(lambda context: refusal, behaviour)
        return behaviour

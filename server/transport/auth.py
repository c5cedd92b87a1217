"""Who may call what: bearer-token authentication, and admin methods closed without a token.

With a token configured, every RiskScoring call needs `authorization: Bearer <token>`
(compared in constant time); health and reflection stay open. Without one, scoring is open
to whoever reaches the port, but admin methods (`ReloadModel`) are refused with
PERMISSION_DENIED: loading bundles is never anonymous (SIGHUP still reloads locally).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import grpc

# Liveness and readiness probes stay open, like health (meshes and load balancers call them).
OPEN_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.",
    "/inference.GRPCInferenceService/ServerLive",
    "/inference.GRPCInferenceService/ServerReady",
)
ADMIN_METHODS = frozenset({"/pde.risk.v1.RiskScoring/ReloadModel"})
if TYPE_CHECKING:
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
else:  # the stubs are generic, the runtime class is not
    _Interceptor = grpc.aio.ServerInterceptor

DENIED = "missing or wrong bearer token (metadata `authorization: Bearer <token>`)"
ADMIN_CLOSED = (
    "{method} is disabled: this server has no token; start it with PDE_GRPC_TOKEN set and "
    "call with `authorization: Bearer <token>` (SIGHUP reloads the current bundle locally)"
)


async def _deny(
    code: grpc.StatusCode, message: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]
) -> None:
    await context.abort(code, message)


def _refusal(handler: Any, code: grpc.StatusCode, message: str) -> Any:
    """A handler of the same shape as `handler` that aborts with `code` and `message`, on
    the event loop (a coroutine serves every shape on the asyncio server)."""
    deny = partial(_deny, code, message)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(deny)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(deny)
    return grpc.unary_unary_rpc_method_handler(deny)


class TokenAuthInterceptor(_Interceptor):
    """Refuses calls without `authorization: Bearer <token>` with UNAUTHENTICATED."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _allowed(self, details: grpc.HandlerCallDetails) -> bool:
        if details.method.startswith(OPEN_PREFIXES):
            return True
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                given = value.encode() if isinstance(value, str) else value
                return hmac.compare_digest(given, self._expected)
        return False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or self._allowed(handler_call_details):
            return handler
        return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED, DENIED)


class AdminClosedInterceptor(_Interceptor):
    """Refuses the admin methods with PERMISSION_DENIED (a server without a token)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method not in ADMIN_METHODS:
            return handler
        name = method.rsplit("/", 1)[-1]
        return _refusal(
            handler, grpc.StatusCode.PERMISSION_DENIED, ADMIN_CLOSED.format(method=name)
        )


def interceptors(token: str | None) -> list[_Interceptor]:
    """The server's access rules: the token on everything, or admin methods closed."""
    return [TokenAuthInterceptor(token)] if token else [AdminClosedInterceptor()]

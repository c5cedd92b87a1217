"""Lenient request parsing, and the method handlers of a service built from its descriptor.

gRPC answers a request whose bytes do not parse with INTERNAL and logs a traceback for each
one. Here every request deserializer returns a `Malformed` marker instead of raising, so the
call is answered INVALID_ARGUMENT like any other bad input (the RiskScoring servicer's
wrappers check for it; `guard` does it for services that do not, such as health).
The handlers are built from the service descriptor, so every method of the proto is served,
each on the server's handler threads or on threads of its own (`pools`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from pde.server.errors import InvalidInputError
from pde.server.transport.auth import Access
from pde.server.transport.wrapping import behind


@dataclass(frozen=True)
class Malformed:
    """Stands for a request whose bytes do not parse as the method's message."""

    message_type: str
    size: int
    reason: str

    def describe(self) -> str:
        return (
            f"the request is not a valid {self.message_type} message "
            f"({self.size} bytes; {self.reason})"
        )


def lenient_parser(message_class: type[Message]) -> Callable[[bytes], Any]:
    """A request deserializer that returns `Malformed` for bytes that do not parse."""
    name = message_class.DESCRIPTOR.full_name

    def parse(data: bytes) -> Any:
        try:
            return message_class.FromString(data)
        except Exception as exc:  # DecodeError, or whatever the protobuf backend raises
            return Malformed(name, len(data), type(exc).__name__)

    return parse


def parsed(request: Any) -> Any:
    """The request itself; raises InvalidInputError when it is `Malformed`."""
    if isinstance(request, Malformed):
        raise InvalidInputError(request.describe())
    return request


def _malformed(request: Any, context: Any) -> tuple[grpc.StatusCode, str] | None:
    """Refuses a request whose bytes did not parse (see `guard` in `add_service`)."""
    if isinstance(request, Malformed):
        return grpc.StatusCode.INVALID_ARGUMENT, request.describe()
    return None


_FACTORIES: dict[tuple[bool, bool], Callable[..., grpc.RpcMethodHandler[Any, Any]]] = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def _on(pool: ThreadPoolExecutor, behaviour: Callable[[Any, Any], Any]) -> Any:
    """`behaviour` run on `pool`'s threads instead of the server's (gRPC's synchronous
    server reads the pool from the behaviour's `experimental_thread_pool`)."""

    def pooled(request: Any, context: Any) -> Any:
        return behaviour(request, context)

    pooled.experimental_thread_pool = pool  # type: ignore[attr-defined]
    return pooled


def add_service(
    server: grpc.Server,
    service: ServiceDescriptor,
    servicer: object,
    *,
    access: Access,
    guard: bool = False,
    pools: Mapping[str, ThreadPoolExecutor] | None = None,
) -> None:
    """Serves every method of `service` that `servicer` implements, with lenient parsing,
    behind the server's access rules; with `guard`, malformed unary requests are refused
    before the servicer sees them. `pools`: methods (by name) run on threads of their own."""
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        behaviour = getattr(servicer, method.name, None)
        if behaviour is None:
            continue
        if guard and not method.client_streaming:
            behaviour = behind(_malformed, behaviour, streaming=method.server_streaming)
        behaviour = access.guard(
            f"/{service.full_name}/{method.name}", behaviour, streaming=method.server_streaming
        )
        if pools and method.name in pools:
            behaviour = _on(pools[method.name], behaviour)
        request = message_factory.GetMessageClass(method.input_type)
        response = message_factory.GetMessageClass(method.output_type)
        factory = _FACTORIES[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = factory(
            behaviour,
            request_deserializer=lenient_parser(request),
            response_serializer=response.SerializeToString,
        )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),)
    )
    # Registered methods skip the generic lookup per call (what the generated code does too).
    server.add_registered_method_handlers(service.full_name, handlers)  # type: ignore[attr-defined]

"""The ONE place where the core's errors become gRPC status codes, and the call wrappers that
apply it, check deadlines and record metrics and request logs for every RPC.

Client errors (every code but INTERNAL and UNKNOWN) are logged without a traceback, at most
once per method, code and window (`ClientErrorLog`); server faults are logged in full. Status
messages are cut and made ASCII (`details`), whatever they quote.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc

from pde.contracts.bundle import BundleError
from pde.server.errors import (
    InvalidInputError,
    NotReadyError,
    ReloadRefusedError,
    ScoringError,
    UnknownModelError,
    VersionNotLoadedError,
    clip,
)
from pde.server.metrics import Metrics
from pde.server.transport.clientlog import ClientErrorLog
from pde.server.transport.parsing import parsed

log = logging.getLogger(__name__)

STATUS_CODES: dict[type[Exception], grpc.StatusCode] = {
    InvalidInputError: grpc.StatusCode.INVALID_ARGUMENT,
    VersionNotLoadedError: grpc.StatusCode.NOT_FOUND,
    UnknownModelError: grpc.StatusCode.NOT_FOUND,
    NotReadyError: grpc.StatusCode.FAILED_PRECONDITION,
    ReloadRefusedError: grpc.StatusCode.FAILED_PRECONDITION,
    BundleError: grpc.StatusCode.FAILED_PRECONDITION,
    ScoringError: grpc.StatusCode.INTERNAL,
}
SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})
# Longest status message sent: messages travel in the trailers, whose size gRPC bounds.
DETAILS_CHARS = 1000


def details(message: str) -> str:
    """A status message as sent: ASCII (other characters escaped) and at most DETAILS_CHARS."""
    return clip(message.encode("ascii", "backslashreplace").decode("ascii"), limit=DETAILS_CHARS)


def status_for(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The status code and message for an error; unknown errors are INTERNAL, no details."""
    for kind in type(exc).__mro__:
        if kind in STATUS_CODES:
            return STATUS_CODES[kind], str(exc)
    return grpc.StatusCode.INTERNAL, "internal error (see the server log)"


class HasMetrics:
    metrics: Metrics
    client_log: ClientErrorLog


S = TypeVar("S", bound=HasMetrics)
Context = grpc.ServicerContext


def _expired(context: Context) -> bool:
    remaining = context.time_remaining()
    return remaining is not None and remaining <= 0


def _finish(
    method: str,
    servicer: HasMetrics,
    *,
    code: grpc.StatusCode,
    started: float,
    rows: int,
    message: str = "",
) -> None:
    seconds = time.perf_counter() - started
    servicer.metrics.record(method, code=code.name, seconds=seconds, rows=rows)
    if code is grpc.StatusCode.OK:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s OK %.2f ms rows=%d", method, seconds * 1000, rows)
    elif code in SERVER_FAULTS:
        log.info("%s %s %.2f ms rows=%d", method, code.name, seconds * 1000, rows)
    else:
        servicer.client_log.record(
            f"{method} {code.name}", f"{message} ({seconds * 1000:.2f} ms, rows={rows})"
        )


def _classify(method: str, exc: Exception) -> tuple[grpc.StatusCode, str]:
    code, message = status_for(exc)
    if code is grpc.StatusCode.INTERNAL:
        log.exception("%s failed", method)
    return code, message


def _outcome(
    method: str, servicer: HasMetrics, started: float, code: grpc.StatusCode, message: str
) -> str:
    """Records a finished unary call; the status message to abort with when not OK."""
    if code is grpc.StatusCode.OK:
        _finish(method, servicer, code=code, started=started, rows=1)
        return ""
    message = details(message)
    _finish(method, servicer, code=code, started=started, rows=1, message=message)
    return message


DEADLINE_PASSED = "deadline passed before work"


def unary(
    method: str,
) -> Callable[[Callable[[S, Any, Context], Any]], Callable[..., Any]]:
    """Wraps a unary servicer method: deadline check, error mapping, metrics, logging."""

    def decorate(func: Callable[[S, Any, Context], Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(self: S, request: Any, context: Context) -> Any:
            started = time.perf_counter()
            code, message, response = grpc.StatusCode.OK, "", None
            if _expired(context):
                code, message = grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_PASSED
            else:
                try:
                    response = func(self, parsed(request), context)
                except Exception as exc:
                    code, message = _classify(method, exc)
            message = _outcome(method, self, started, code, message)
            if code is not grpc.StatusCode.OK:
                context.abort(code, message)  # raises
            return response

        return wrapper

    return decorate


def streaming(
    method: str,
) -> Callable[[Callable[[S, Any, Context], Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Wraps a response-streaming servicer method; rows are counted from `row_ids`."""

    def decorate(
        func: Callable[[S, Any, Context], Iterator[Any]],
    ) -> Callable[..., Iterator[Any]]:
        @functools.wraps(func)
        def wrapper(self: S, requests: Any, context: Context) -> Iterator[Any]:
            started = time.perf_counter()
            code, message, rows = grpc.StatusCode.OK, "", 0
            try:
                for response in func(self, requests, context):
                    rows += len(response.row_ids)
                    yield response
            except Exception as exc:
                if not context.is_active():  # the client left or its deadline passed
                    _finish(
                        method, self, code=grpc.StatusCode.CANCELLED, started=started, rows=rows
                    )
                    return
                code, message = _classify(method, exc)
            except BaseException:  # cancelled: the client left or its deadline passed
                _finish(method, self, code=grpc.StatusCode.CANCELLED, started=started, rows=rows)
                raise
            message = details(message)
            _finish(method, self, code=code, started=started, rows=rows, message=message)
            if code is not grpc.StatusCode.OK:
                context.abort(code, message)  # raises

        return wrapper

    return decorate

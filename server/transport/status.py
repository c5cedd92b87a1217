"""The ONE place where the core's errors become gRPC status codes, and the call wrapper that
applies it, checks deadlines and records metrics and request logs for every RPC."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import grpc

from server.errors import (
    InvalidInputError,
    NotReadyError,
    ReloadRefusedError,
    ScoringError,
    VersionNotLoadedError,
)
from server.metrics import Metrics
from training.bundle import BundleError

log = logging.getLogger(__name__)

STATUS_CODES: dict[type[Exception], grpc.StatusCode] = {
    InvalidInputError: grpc.StatusCode.INVALID_ARGUMENT,
    VersionNotLoadedError: grpc.StatusCode.NOT_FOUND,
    NotReadyError: grpc.StatusCode.FAILED_PRECONDITION,
    ReloadRefusedError: grpc.StatusCode.FAILED_PRECONDITION,
    BundleError: grpc.StatusCode.FAILED_PRECONDITION,
    ScoringError: grpc.StatusCode.INTERNAL,
}


def status_for(exc: Exception) -> tuple[grpc.StatusCode, str]:
    """The status code and message for an error; unknown errors are INTERNAL, no details."""
    for kind in type(exc).__mro__:
        if kind in STATUS_CODES:
            return STATUS_CODES[kind], str(exc)
    return grpc.StatusCode.INTERNAL, "internal error (see the server log)"


class HasMetrics:
    metrics: Metrics


S = TypeVar("S", bound=HasMetrics)
Req = TypeVar("Req")
Resp = TypeVar("Resp")


def _expired(context: grpc.ServicerContext) -> bool:
    remaining = context.time_remaining()
    return remaining is not None and remaining <= 0


def _finish(
    method: str, servicer: HasMetrics, *, code: grpc.StatusCode, started: float, rows: int
) -> None:
    seconds = time.perf_counter() - started
    servicer.metrics.record(method, code=code.name, seconds=seconds, rows=rows)
    if code is grpc.StatusCode.OK:
        log.debug("%s OK %.2f ms rows=%d", method, seconds * 1000, rows)
    else:
        log.info("%s %s %.2f ms rows=%d", method, code.name, seconds * 1000, rows)


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, message)
    raise AssertionError("unreachable: abort raises")


def _classify(method: str, exc: Exception) -> tuple[grpc.StatusCode, str]:
    code, message = status_for(exc)
    if code is grpc.StatusCode.INTERNAL:
        log.exception("%s failed", method)
    return code, message


def unary(
    method: str,
) -> Callable[[Callable[[S, Req, grpc.ServicerContext], Resp]], Callable[..., Resp]]:
    """Wraps a unary servicer method: deadline check, error mapping, metrics, logging."""

    def decorate(func: Callable[[S, Req, grpc.ServicerContext], Resp]) -> Callable[..., Resp]:
        @functools.wraps(func)
        def wrapper(self: S, request: Req, context: grpc.ServicerContext) -> Resp:
            started = time.perf_counter()
            code, message = grpc.StatusCode.OK, ""
            if _expired(context):
                code, message = grpc.StatusCode.DEADLINE_EXCEEDED, "deadline passed before work"
            else:
                try:
                    response = func(self, request, context)
                except Exception as exc:
                    code, message = _classify(method, exc)
            _finish(method, self, code=code, started=started, rows=1)
            if code is not grpc.StatusCode.OK:
                _abort(context, code, message)
            return response

        return wrapper

    return decorate


def streaming(
    method: str,
) -> Callable[[Callable[[S, Any, grpc.ServicerContext], Iterator[Any]]], Callable[..., Any]]:
    """Wraps a response-streaming servicer method; rows are counted from `row_ids`."""

    def decorate(
        func: Callable[[S, Any, grpc.ServicerContext], Iterator[Any]],
    ) -> Callable[..., Iterator[Any]]:
        @functools.wraps(func)
        def wrapper(self: S, requests: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            code, message, rows = grpc.StatusCode.OK, "", 0
            try:
                for response in func(self, requests, context):
                    rows += len(response.row_ids)
                    yield response
                    if _expired(context):
                        code, message = grpc.StatusCode.DEADLINE_EXCEEDED, "deadline passed"
                        break
            except Exception as exc:
                code, message = _classify(method, exc)
            if not context.is_active() and code is grpc.StatusCode.OK:
                code = grpc.StatusCode.CANCELLED
            _finish(method, self, code=code, started=started, rows=rows)
            if code not in (grpc.StatusCode.OK, grpc.StatusCode.CANCELLED):
                _abort(context, code, message)

        return wrapper

    return decorate

"""The client's error: a failed call, with its gRPC status code and the server's message."""

from __future__ import annotations

import grpc

from pde.core.errors import PdeError


class RiskServiceError(PdeError):
    """A call to the scoring service failed; `code` is the gRPC status code."""

    def __init__(self, code: grpc.StatusCode, details: str, *, method: str) -> None:
        super().__init__(f"{method}: {code.name}: {details}")
        self.code = code
        self.details = details
        self.method = method


def from_rpc_error(error: grpc.RpcError, *, method: str) -> RiskServiceError:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    return RiskServiceError(code, details or "", method=method)

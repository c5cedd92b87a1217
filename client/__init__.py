"""Python client of the scoring service, for internal services, the app and batch jobs.

`RiskClient` (blocking) and `AsyncRiskClient` (asyncio) share the same methods and typed
results (`client.results`); failed calls raise `client.errors.RiskServiceError`.
`python -m client.probe ADDRESS` is the container health probe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from client.aio import AsyncRiskClient
    from client.errors import RiskServiceError
    from client.sync import RiskClient

__all__ = ["AsyncRiskClient", "RiskClient", "RiskServiceError"]


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m client.probe` stays light.
    if name == "RiskClient":
        from client.sync import RiskClient

        return RiskClient
    if name == "AsyncRiskClient":
        from client.aio import AsyncRiskClient

        return AsyncRiskClient
    if name == "RiskServiceError":
        from client.errors import RiskServiceError

        return RiskServiceError
    raise AttributeError(name)

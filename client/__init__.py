"""Python client of the scoring service, for internal services, the app and batch jobs.

    from pde.client import RiskClient

    with RiskClient("127.0.0.1:50051", token=None, timeout=5.0) as risk:
        info = risk.model_info()                       # version, feature order, tiers
        one = risk.score("C1", {"f0": 1.2, ...}, top_reasons=3)   # or values in model order
        why = risk.explain("C1", values, top_k=5)      # SHAP contributions + reason texts
        for row in risk.score_many(frame, id_column="customer_id"):   # streamed, in order
            ...

`RiskClient` (blocking) and `AsyncRiskClient` (asyncio) share the same methods and typed
results (`pde.client.results`). Unary calls have a default deadline (`timeout`, 5 s); the channel
retries UNAVAILABLE up to 4 attempts with backoff (gRPC service config), never ReloadModel.
Failed calls raise `pde.client.errors.RiskServiceError` with the status `code`:
INVALID_ARGUMENT (bad features or batch; NaN means missing and is accepted, Inf is not),
NOT_FOUND (the requested model_version is not loaded), FAILED_PRECONDITION (no model yet,
raw activity sent to a bundle trained on a feature table, or a refused reload),
UNAUTHENTICATED (token missing or wrong), UNAVAILABLE, DEADLINE_EXCEEDED.
The address may name several replicas (`10.0.0.5:50051,10.0.0.6:50051`) or one DNS name
of them all (`dns:///scoring:50051`): calls are balanced round robin, and
`pde.client.failover.score_exactly_once` resumes a stream whose replica died on another.
`pde.client.activity.raw_activity` builds the RawActivity input from canonical rows, and
`python -m pde.client.probe ADDRESS` is the container health probe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pde.client.aio import AsyncRiskClient
    from pde.client.errors import RiskServiceError
    from pde.client.sync import RiskClient

__all__ = ["AsyncRiskClient", "RiskClient", "RiskServiceError"]


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m pde.client.probe` stays light.
    if name == "RiskClient":
        from pde.client.sync import RiskClient

        return RiskClient
    if name == "AsyncRiskClient":
        from pde.client.aio import AsyncRiskClient

        return AsyncRiskClient
    if name == "RiskServiceError":
        from pde.client.errors import RiskServiceError

        return RiskServiceError
    raise AttributeError(name)

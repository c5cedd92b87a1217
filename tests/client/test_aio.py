"""AsyncRiskClient against a real server on loopback."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pytest

from pde.client import AsyncRiskClient, RiskServiceError


def test_aio_twin_scores_streams_and_explains(served: Any, bundle_tools: ModuleType) -> None:
    x, _ = bundle_tools.synthetic(1_000, seed=4)
    expected = served.scorer.bundle().score(x).probability.astype(np.float32)

    async def scenario() -> None:
        async with AsyncRiskClient(f"127.0.0.1:{served.port}") as client:
            assert await client.health() == "SERVING"
            info = await client.model_info()
            one = await client.score("a", x[0].tolist(), top_reasons=1)
            assert one.probability == pytest.approx(float(expected[0]), abs=1e-6)
            many = await asyncio.gather(*(client.score(str(i), x[i]) for i in range(20)))
            assert [m.customer_id for m in many] == [str(i) for i in range(20)]
            rows = [
                r
                async for r in client.score_many(
                    ((str(i), x[i]) for i in range(len(x))), chunk_rows=128
                )
            ]
            assert np.array_equal(np.array([r.probability for r in rows], np.float32), expected)
            explanation = await client.explain("a", x[0], top_k=2)
            assert set(explanation.contributions) == set(info.feature_names)
            with pytest.raises(RiskServiceError) as caught:
                await client.score("a", [1.0])
            assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT

    asyncio.run(scenario())

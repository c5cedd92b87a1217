"""The calls `pde bench grpc` times against a server on loopback: unary Score one after
another, concurrent callers, ScoreStream, ExplainStream and Explain, a portfolio through the
client."""

from __future__ import annotations

import asyncio
import time
from typing import Any


def rows(n: int, n_features: int, *, seed: int) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, n_features)).astype(np.float32)
    matrix[rng.random(matrix.shape) < 0.1] = np.nan
    return matrix


def unary_latency(
    address: str, matrix: Any, *, calls: int, time_to_miss: bool = False
) -> tuple[float, float]:
    """p50 and p99 (ms) of unary Score calls one after another, with one client."""
    import grpc
    import numpy as np

    from pde.risk.v1 import risk_pb2, risk_pb2_grpc

    requests = [
        risk_pb2.ScoreRequest(
            customer_id=str(i),
            packed=risk_pb2.PackedFeatures(values=row),
            time_to_miss=time_to_miss,
        )
        for i, row in enumerate(matrix[:200].astype(float).tolist())
    ]
    with grpc.insecure_channel(address) as channel:
        score = risk_pb2_grpc.RiskScoringStub(channel).Score
        for request in requests:
            score(request, timeout=5)
        seconds = []
        for i in range(calls):
            start = time.perf_counter()
            score(requests[i % len(requests)], timeout=5)
            seconds.append(time.perf_counter() - start)
    milliseconds = np.array(seconds) * 1000
    return float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 99))


def concurrent_rps(address: str, matrix: Any, *, clients: int, seconds: float) -> float:
    """Requests per second of `clients` concurrent callers in one asyncio client process.

    Like an internal async service: one channel to the server (gRPC multiplexes the calls
    over one HTTP/2 connection), each caller awaiting its reply before sending the next.
    """
    import grpc

    from pde.risk.v1 import risk_pb2, risk_pb2_grpc

    requests = [
        risk_pb2.ScoreRequest(customer_id=str(i), packed=risk_pb2.PackedFeatures(values=row))
        for i, row in enumerate(matrix[:200].astype(float).tolist())
    ]

    async def one_client(score: Any, stop_at: float) -> int:
        done = 0
        while time.perf_counter() < stop_at:
            await score(requests[done % len(requests)], timeout=5)
            done += 1
        return done

    async def run() -> float:
        async with grpc.aio.insecure_channel(address) as channel:
            score = risk_pb2_grpc.RiskScoringStub(channel).Score
            warm_until = time.perf_counter() + 0.5
            await asyncio.gather(*(one_client(score, warm_until) for _ in range(clients)))
            start = time.perf_counter()
            counts = await asyncio.gather(
                *(one_client(score, start + seconds) for _ in range(clients))
            )
            return sum(counts) / (time.perf_counter() - start)

    return asyncio.run(run())


def stream_rows_per_second(address: str, matrix: Any, *, chunk: int) -> float:
    import grpc

    from pde.risk.v1 import risk_pb2, risk_pb2_grpc

    ids = [str(i) for i in range(len(matrix))]

    def batches() -> Any:
        for start in range(0, len(matrix), chunk):
            yield risk_pb2.ScoreBatch(
                row_ids=ids[start : start + chunk], features=matrix[start : start + chunk].tobytes()
            )

    with grpc.insecure_channel(
        address, options=[("grpc.max_receive_message_length", 64 << 20)]
    ) as channel:
        stream = risk_pb2_grpc.RiskScoringStub(channel).ScoreStream
        start = time.perf_counter()
        rows = sum(len(r.row_ids) for r in stream(batches(), timeout=120))
        return rows / (time.perf_counter() - start)


def explanations_per_second(address: str, matrix: Any, *, single: int) -> tuple[float, float]:
    """Rows explained per second: batched (`ExplainStream`) and one `Explain` call per row."""
    from pde.client.sync import RiskClient

    with RiskClient(address) as client:
        start = time.perf_counter()
        rows = sum(
            len(chunk.row_ids)
            for chunk in client.explain_batches(
                ((str(i), row) for i, row in enumerate(matrix)), top_k=3
            )
        )
        batched = rows / (time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(single):
            client.explain(str(i), matrix[i], top_k=3)
        one_by_one = single / (time.perf_counter() - start)
    return batched, one_by_one


def portfolio_seconds(address: str, matrix: Any, names: list[str]) -> float:
    import pandas as pd

    from pde.client.sync import RiskClient

    frame = pd.DataFrame(matrix, columns=names)
    frame.insert(0, "customer_id", [f"C{i:07d}" for i in range(len(frame))])
    with RiskClient(address) as client:
        start = time.perf_counter()
        rows = sum(len(c.row_ids) for c in client.score_batches(frame, id_column="customer_id"))
        elapsed = time.perf_counter() - start
    assert rows == len(frame)
    return elapsed

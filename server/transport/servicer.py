"""The RiskScoring servicer: each method decodes, delegates to the Scorer, encodes.

Runs on the asyncio event loop; everything CPU-bound goes to the scoring executor (single
rows through the micro-batcher).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from server.activity import Activity
from server.batching import MicroBatcher
from server.metrics import Metrics
from server.scorer import Scorer
from server.transport import codecs
from server.transport.status import Context, streaming, unary

T = TypeVar("T")
log = logging.getLogger(__name__)


class RiskScoringServicer(risk_pb2_grpc.RiskScoringServicer):
    def __init__(self, *, scorer: Scorer, metrics: Metrics, executor: Executor) -> None:
        self.scorer = scorer
        self.metrics = metrics
        self.executor = executor
        self.batcher = MicroBatcher()

    async def _run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: func(*args, **kwargs))

    @unary("Score")
    async def Score(  # noqa: N802
        self, request: risk_pb2.ScoreRequest, context: Context
    ) -> risk_pb2.ScoreResponse:
        data = codecs.row_input(request)
        if request.top_reasons or isinstance(data, Activity):
            bundle, score, reasons = await self._run(
                self.scorer.score_one,
                data,
                version=request.model_version,
                top_reasons=request.top_reasons,
            )
        else:
            bundle, row = self.scorer.prepare(data, version=request.model_version)
            score, reasons = await self.batcher.score(bundle, row), []
        return codecs.score_response(request.customer_id, bundle, score, reasons)

    @streaming("ScoreStream")
    async def ScoreStream(  # noqa: N802
        self, request_iterator: AsyncIterator[risk_pb2.ScoreBatch], context: Context
    ) -> AsyncIterator[risk_pb2.ScoreBatchResult]:
        async for batch in request_iterator:
            bundle, scores = await self._run(
                self.scorer.score_packed, batch.features, batch.row_ids, version=batch.model_version
            )
            yield codecs.batch_result(batch.row_ids, bundle, scores)

    @unary("Explain")
    async def Explain(  # noqa: N802
        self, request: risk_pb2.ExplainRequest, context: Context
    ) -> risk_pb2.ExplainResponse:
        bundle, explanation = await self._run(
            self.scorer.explain,
            codecs.row_input(request),
            top_k=request.top_k,
            version=request.model_version,
        )
        return codecs.explain_response(request.customer_id, bundle, explanation)

    @unary("GetModelInfo")
    async def GetModelInfo(  # noqa: N802
        self, request: risk_pb2.ModelInfoRequest, context: Context
    ) -> risk_pb2.ModelInfo:
        return codecs.model_info(self.scorer.bundle().manifest)

    @unary("ReloadModel")
    async def ReloadModel(  # noqa: N802
        self, request: risk_pb2.ReloadRequest, context: Context
    ) -> risk_pb2.ModelInfo:
        path = self.scorer.resolve(request.bundle_path)
        log.info("reload of %s requested by %s", path or "current", context.peer())
        # Loading is long and rare: its own thread, so scoring keeps its executor.
        bundle = await asyncio.to_thread(self.scorer.reload, path)
        return codecs.model_info(bundle.manifest)

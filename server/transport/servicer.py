"""The RiskScoring servicer: each method decodes, delegates to the Scorer, encodes."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from server.metrics import Metrics
from server.scorer import Scorer
from server.transport import codecs
from server.transport.status import streaming, unary


class RiskScoringServicer(risk_pb2_grpc.RiskScoringServicer):
    def __init__(self, *, scorer: Scorer, metrics: Metrics) -> None:
        self.scorer = scorer
        self.metrics = metrics

    @unary("Score")
    def Score(  # noqa: N802
        self, request: risk_pb2.ScoreRequest, context: grpc.ServicerContext
    ) -> risk_pb2.ScoreResponse:
        bundle, scores, reasons = self.scorer.score_one(
            codecs.row_input(request),
            version=request.model_version,
            top_reasons=request.top_reasons,
        )
        return codecs.score_response(request.customer_id, bundle, scores, reasons)

    @streaming("ScoreStream")
    def ScoreStream(  # noqa: N802
        self, request_iterator: Iterator[risk_pb2.ScoreBatch], context: grpc.ServicerContext
    ) -> Iterator[risk_pb2.ScoreBatchResult]:
        for batch in request_iterator:
            bundle, scores = self.scorer.score_packed(
                batch.features, batch.row_ids, version=batch.model_version
            )
            yield codecs.batch_result(batch.row_ids, bundle, scores)

    @unary("Explain")
    def Explain(  # noqa: N802
        self, request: risk_pb2.ExplainRequest, context: grpc.ServicerContext
    ) -> risk_pb2.ExplainResponse:
        bundle, explanation = self.scorer.explain(
            codecs.row_input(request), top_k=request.top_k, version=request.model_version
        )
        return codecs.explain_response(request.customer_id, bundle, explanation)

    @unary("GetModelInfo")
    def GetModelInfo(  # noqa: N802
        self, request: risk_pb2.ModelInfoRequest, context: grpc.ServicerContext
    ) -> risk_pb2.ModelInfo:
        return codecs.model_info(self.scorer.bundle().manifest)

    @unary("ReloadModel")
    def ReloadModel(  # noqa: N802
        self, request: risk_pb2.ReloadRequest, context: grpc.ServicerContext
    ) -> risk_pb2.ModelInfo:
        bundle = self.scorer.reload(self.scorer.resolve(request.bundle_path))
        return codecs.model_info(bundle.manifest)

"""The RiskScoring servicer: each method decodes, delegates to the Scorer, encodes.

The server is gRPC's synchronous server (see `pde.server.transport.app`). `Score` runs on
threads of its own (few: a plain score is a short hold of the GIL), so that streams, which
hold a handler thread for their length, never hold it up; every other method runs on the
handler threads (large batches are split across the scorer's threads).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from pde.server import uplift
from pde.server.metrics import Metrics
from pde.server.scorer import Scorer
from pde.server.shadow import Shadow, shadow_fields, shadow_scores
from pde.server.transport import codecs
from pde.server.transport.clientlog import ClientErrorLog
from pde.server.transport.parsing import parsed
from pde.server.transport.status import Context, streaming, unary

log = logging.getLogger(__name__)


class RiskScoringServicer(risk_pb2_grpc.RiskScoringServicer):
    def __init__(
        self,
        *,
        scorer: Scorer,
        metrics: Metrics,
        client_log: ClientErrorLog | None = None,
        shadow: Shadow | None = None,
    ) -> None:
        self.scorer = scorer
        self.metrics = metrics
        self.client_log = client_log or ClientErrorLog(log)
        self.shadow = shadow or Shadow()

    @unary("Score")
    def Score(  # noqa: N802
        self, request: risk_pb2.ScoreRequest, context: Context
    ) -> risk_pb2.ScoreResponse:
        if request.effects:
            return codecs.with_effects(
                request,
                *uplift.score_one(
                    self.scorer,
                    codecs.row_input(request),
                    version=request.model_version,
                    top_reasons=request.top_reasons,
                    time_to_miss=request.time_to_miss,
                ),
            )
        bundle, score, reasons = self.scorer.score_one(
            codecs.row_input(request),
            version=request.model_version,
            top_reasons=request.top_reasons,
            time_to_miss=request.time_to_miss,
        )
        return codecs.score_response(request.customer_id, bundle, score, reasons)

    @streaming("ScoreStream")
    def ScoreStream(  # noqa: N802
        self, request_iterator: Iterator[risk_pb2.ScoreBatch], context: Context
    ) -> Iterator[risk_pb2.ScoreBatchResult]:
        for batch in map(parsed, request_iterator):
            if batch.effects or self.shadow.version:
                yield self._with_extras(batch)
                continue
            bundle, scores = self.scorer.score_packed(
                batch.features, batch.row_ids, version=batch.model_version
            )
            yield codecs.batch_result(batch.row_ids, bundle, scores)

    def _with_extras(self, batch: risk_pb2.ScoreBatch) -> risk_pb2.ScoreBatchResult:
        """A ScoreStream batch with the expected effects it asked for and the shadow
        challenger's scores when one is loaded; the rows are checked and scored once."""
        bundle = self.scorer.bundle(batch.model_version)
        rows = self.scorer.packed_rows(bundle, batch.features, batch.row_ids)
        scores = self.scorer.score_rows(bundle, rows)
        if batch.effects:
            effects = uplift.effects_of(self.scorer, bundle, rows)
            result = codecs.batch_with_effects(batch.row_ids, bundle, scores, effects)
        else:
            result = codecs.batch_result(batch.row_ids, bundle, scores)
        shadow = shadow_scores(
            self.scorer,
            self.shadow,
            bundle,
            rows,
            batch.row_ids,
            challenger_data=batch.challenger_features,
        )
        for name, value in shadow_fields(scores, shadow).items():
            setattr(result, name, value)
        return result

    @unary("Explain")
    def Explain(  # noqa: N802
        self, request: risk_pb2.ExplainRequest, context: Context
    ) -> risk_pb2.ExplainResponse:
        bundle, explanation = self.scorer.explain(
            codecs.row_input(request), top_k=request.top_k, version=request.model_version
        )
        return codecs.explain_response(request.customer_id, bundle, explanation)

    @streaming("ExplainStream")
    def ExplainStream(  # noqa: N802
        self, request_iterator: Iterator[risk_pb2.ExplainBatch], context: Context
    ) -> Iterator[risk_pb2.ExplainBatchResult]:
        for batch in map(parsed, request_iterator):
            bundle, explained = self.scorer.explain_packed(
                batch.features, batch.row_ids, top_k=batch.top_k, version=batch.model_version
            )
            yield codecs.explain_batch_result(batch.row_ids, bundle, explained)

    @unary("GetModelInfo")
    def GetModelInfo(  # noqa: N802
        self, request: risk_pb2.ModelInfoRequest, context: Context
    ) -> risk_pb2.ModelInfo:
        return self._model_info()

    def _model_info(self) -> risk_pb2.ModelInfo:
        info = codecs.model_info(self.scorer.bundle().manifest)
        info.challenger_version = self.shadow.version
        info.challenger_feature_names.extend(self.shadow.feature_names)
        return info

    @unary("ReloadModel")
    def ReloadModel(  # noqa: N802
        self, request: risk_pb2.ReloadRequest, context: Context
    ) -> risk_pb2.ModelInfo:
        path = self.scorer.resolve(request.bundle_path)
        if request.challenger:
            log.info("challenger %s requested by %s", path or "unload", context.peer())
            if path is None:
                self.shadow.unload()
            else:
                self.shadow.load(path, self.scorer.bundle())
        else:
            log.info("reload of %s requested by %s", path or "current", context.peer())
            self.scorer.reload(path)
        return self._model_info()

"""The Open Inference Protocol (KServe v2) over gRPC: `inference.GRPCInferenceService`.

The served bundle is one model, `MODEL_NAME`, whose version is the bundle's. It takes one
input, `features`: FP32 `[rows, n_features]` in the order ModelMetadata lists (typed
`fp32_contents` or `raw_input_contents`, little-endian, row-major; NaN = missing), and gives
`probability` (FP32, calibrated), `tier` (UINT8, index into the bundle's tiers) and `alert`
(BOOL), one value per row: the figures `ScoreStream` gives. Outputs come back raw when the
input came raw, typed otherwise. Each method decodes, delegates to the Scorer, encodes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pde import __version__
from pde.risk.v1 import open_inference_pb2 as oip
from pde.risk.v1 import open_inference_pb2_grpc as oip_grpc
from pde.server.bundle import BatchScores, LoadedBundle
from pde.server.ensemble import F32
from pde.server.errors import InvalidInputError, UnknownModelError, quote
from pde.server.metrics import Metrics
from pde.server.scorer import Scorer
from pde.server.transport.clientlog import ClientErrorLog
from pde.server.transport.status import Context, unary

log = logging.getLogger(__name__)

SERVICE = oip.DESCRIPTOR.services_by_name["GRPCInferenceService"]
SERVICE_NAME = SERVICE.full_name
SERVER_NAME = "pde-risk-engine"
MODEL_NAME = "pde-risk"
PLATFORM = "onnxruntime_ensemble"
INPUT_NAME = "features"
INPUT_DATATYPE = "FP32"
# name -> (datatype, numpy dtype of its raw bytes)
OUTPUTS: dict[str, tuple[str, str]] = {
    "probability": ("FP32", "<f4"),
    "tier": ("UINT8", "u1"),
    "alert": ("BOOL", "?"),
}


@dataclass(frozen=True)
class Tensor:
    """The decoded input: rows, and whether they came as raw bytes."""

    rows: F32
    raw: bool


def check_model(scorer: Scorer, name: str, version: str) -> LoadedBundle:
    """The served bundle when `name` (and `version`, when given) is what this server serves."""
    if name != MODEL_NAME:
        raise UnknownModelError(f"model {quote(name)} is not served here; serving {MODEL_NAME!r}")
    return scorer.bundle(version)


def _shape(values: list[int], n_features: int) -> tuple[int, int]:
    if len(values) != 2 or values[1] != n_features or values[0] < 1:
        raise InvalidInputError(
            f"input {INPUT_NAME!r} has shape {quote(values)}; expected [rows, {n_features}]"
        )
    return values[0], values[1]


def input_rows(request: oip.ModelInferRequest, *, n_features: int, max_rows: int) -> Tensor:
    """The request's one FP32 input as float32 rows (shape, datatype and size checked)."""
    if len(request.inputs) != 1 or request.inputs[0].name != INPUT_NAME:
        names = [i.name for i in request.inputs][:5]
        raise InvalidInputError(f"expected one input {INPUT_NAME!r}, got {quote(names)}")
    tensor = request.inputs[0]
    if tensor.datatype != INPUT_DATATYPE:
        raise InvalidInputError(
            f"input {INPUT_NAME!r} has datatype {quote(tensor.datatype)}; expected FP32"
        )
    rows, width = _shape(list(tensor.shape), n_features)
    if rows > max_rows:
        raise InvalidInputError(f"{rows} rows is over the limit of {max_rows} rows per request")
    count = rows * width
    raw = len(request.raw_input_contents) > 0
    if raw:
        if len(request.raw_input_contents) != 1:
            raise InvalidInputError("expected one raw_input_contents entry, for the one input")
        data = request.raw_input_contents[0]
        if len(data) != count * 4:
            raise InvalidInputError(
                f"raw_input_contents holds {len(data)} bytes; shape {[rows, width]} of FP32 "
                f"needs {count * 4}"
            )
        values = np.frombuffer(data, dtype="<f4")
    else:
        given = len(tensor.contents.fp32_contents)
        if given != count:
            raise InvalidInputError(
                f"input {INPUT_NAME!r} holds {given} fp32_contents; shape {[rows, width]} "
                f"needs {count}"
            )
        values = np.asarray(tensor.contents.fp32_contents, dtype=np.float32)
    return Tensor(values.reshape(rows, width), raw)


def requested_outputs(request: oip.ModelInferRequest) -> list[str]:
    """The outputs asked for, in their order; all of them when none is named."""
    names = [o.name for o in request.outputs] or list(OUTPUTS)
    unknown = [n for n in names if n not in OUTPUTS]
    if unknown:
        raise InvalidInputError(
            f"unknown outputs {quote(unknown)}; this model gives {', '.join(OUTPUTS)}"
        )
    return names


def infer_response(
    request: oip.ModelInferRequest,
    bundle: LoadedBundle,
    scores: BatchScores,
    *,
    outputs: list[str],
    raw: bool,
) -> oip.ModelInferResponse:
    values = {
        "probability": scores.probability.astype("<f4"),
        "tier": scores.tier,
        "alert": scores.alert,
    }
    response = oip.ModelInferResponse(
        model_name=MODEL_NAME, model_version=bundle.version, id=request.id
    )
    for name in outputs:
        datatype, dtype = OUTPUTS[name]
        tensor = response.outputs.add(name=name, datatype=datatype, shape=[len(values[name])])
        array = values[name].astype(dtype, copy=False)
        if raw:
            response.raw_output_contents.append(array.tobytes())
        elif name == "probability":
            tensor.contents.fp32_contents.extend(array.tolist())
        elif name == "tier":
            tensor.contents.uint_contents.extend(array.tolist())
        else:
            tensor.contents.bool_contents.extend(array.tolist())
    return response


def _tensor(name: str, datatype: str, shape: list[int]) -> oip.ModelMetadataResponse.TensorMetadata:
    return oip.ModelMetadataResponse.TensorMetadata(name=name, datatype=datatype, shape=shape)


class InferenceServicer(oip_grpc.GRPCInferenceServiceServicer):
    """The Open Inference Protocol over the same Scorer as RiskScoring."""

    def __init__(
        self, *, scorer: Scorer, metrics: Metrics, client_log: ClientErrorLog | None = None
    ) -> None:
        self.scorer = scorer
        self.metrics = metrics
        self.client_log = client_log or ClientErrorLog(log)

    @unary("ServerLive")
    def ServerLive(  # noqa: N802
        self, request: oip.ServerLiveRequest, context: Context
    ) -> oip.ServerLiveResponse:
        return oip.ServerLiveResponse(live=True)

    @unary("ServerReady")
    def ServerReady(  # noqa: N802
        self, request: oip.ServerReadyRequest, context: Context
    ) -> oip.ServerReadyResponse:
        return oip.ServerReadyResponse(ready=self.scorer.ready)

    @unary("ModelReady")
    def ModelReady(  # noqa: N802
        self, request: oip.ModelReadyRequest, context: Context
    ) -> oip.ModelReadyResponse:
        if request.name == MODEL_NAME and not self.scorer.ready:
            return oip.ModelReadyResponse(ready=False)
        check_model(self.scorer, request.name, request.version)  # NOT_FOUND when another
        return oip.ModelReadyResponse(ready=True)

    @unary("ServerMetadata")
    def ServerMetadata(  # noqa: N802
        self, request: oip.ServerMetadataRequest, context: Context
    ) -> oip.ServerMetadataResponse:
        return oip.ServerMetadataResponse(name=SERVER_NAME, version=__version__, extensions=[])

    @unary("ModelMetadata")
    def ModelMetadata(  # noqa: N802
        self, request: oip.ModelMetadataRequest, context: Context
    ) -> oip.ModelMetadataResponse:
        bundle = check_model(self.scorer, request.name, request.version)
        return oip.ModelMetadataResponse(
            name=MODEL_NAME,
            versions=[bundle.version],
            platform=PLATFORM,
            inputs=[_tensor(INPUT_NAME, INPUT_DATATYPE, [-1, bundle.n_features])],
            outputs=[_tensor(name, datatype, [-1]) for name, (datatype, _) in OUTPUTS.items()],
        )

    @unary("ModelInfer")
    def ModelInfer(  # noqa: N802
        self, request: oip.ModelInferRequest, context: Context
    ) -> oip.ModelInferResponse:
        bundle = check_model(self.scorer, request.model_name, request.model_version)
        outputs = requested_outputs(request)
        tensor = input_rows(
            request,
            n_features=bundle.n_features,
            max_rows=self.scorer.batch_limit(bundle).rows,
        )
        scores = self.scorer.score_matrix(bundle, tensor.rows)
        return infer_response(request, bundle, scores, outputs=outputs, raw=tensor.raw)

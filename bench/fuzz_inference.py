"""Hostile and random Open Inference Protocol messages (`inference.GRPCInferenceService`) for
the fuzzer of `pde.bench.fuzz_messages`: ModelInfer with shapes, datatypes, sizes, names and
parameters drawn from edge cases (half the cases clean enough to be scored), and the probes
and metadata calls with valid and hostile model names and versions."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from google.protobuf.message import Message

from pde.risk.v1 import open_inference_pb2 as oip

if TYPE_CHECKING:
    from pde.bench.fuzz_messages import MessageFuzzer

SERVICE = "/inference.GRPCInferenceService/"
MODEL = "pde-risk"
OUTPUTS = ("probability", "tier", "alert")
DATATYPES = ("FP64", "FP16", "INT32", "UINT8", "BOOL", "BYTES", "", "fp32")
INT64 = (0, -1, 1, 2, 100_001, 2**31, 2**62, -(2**63), 2**63 - 1)
PROBES = ("ServerLive", "ServerReady", "ServerMetadata", "ModelReady", "ModelMetadata")


def _shape(fuzzer: MessageFuzzer, rows: int, width: int) -> list[int]:
    if not fuzzer.hostile or fuzzer.chance(0.6):
        return [rows, width]
    rng = fuzzer.rng
    return [rng.choice((*INT64, rows, width)) for _ in range(rng.choice((0, 1, 2, 2, 3)))]


def _parameters(fuzzer: MessageFuzzer, target: object) -> None:
    parameters = getattr(target, "parameters")  # noqa: B009 (a map field of several messages)
    for _ in range(fuzzer.rng.choice((0, 0, 0, 1, 2))):
        value = parameters[fuzzer.string(("binary_data", "priority"), long=False)]
        roll = fuzzer.rng.random()
        if roll < 0.3:
            value.bool_param = fuzzer.chance(0.5)
        elif roll < 0.6:
            value.int64_param = fuzzer.rng.choice(INT64)
        else:
            value.string_param = fuzzer.string()


def infer_request(fuzzer: MessageFuzzer) -> tuple[Message, str]:
    """A ModelInfer request and its label."""
    rng, width = fuzzer.rng, len(fuzzer.names)
    rows = rng.choice((0, 1, 2, 7, 64, 500) if fuzzer.hostile else (1, 2, 7, 64))
    request = oip.ModelInferRequest(
        model_name=MODEL if not fuzzer.hostile or fuzzer.chance(0.7) else fuzzer.string(),
        model_version=fuzzer._version(),
        id=fuzzer.string(("", "req-1"), long=False),
    )
    _parameters(fuzzer, request)
    datatype = "FP32" if not fuzzer.hostile or fuzzer.chance(0.8) else rng.choice(DATATYPES)
    tensor = request.inputs.add(
        name="features" if not fuzzer.hostile or fuzzer.chance(0.9) else fuzzer.string(),
        datatype=datatype,
        shape=_shape(fuzzer, rows, width),
    )
    _parameters(fuzzer, tensor)
    values = [fuzzer.float_() for _ in range(min(rows, 64) * width)]
    raw = rng.random() < 0.6
    if raw:
        packed = struct.pack(f"<{len(values)}f", *(_f32(v) for v in values))
        data = (packed * (rows // 64 + 1))[: rows * width * 4]
        if fuzzer.hostile and fuzzer.chance(0.3):
            data = data[: rng.randrange(len(data) + 1)] + rng.randbytes(rng.choice((0, 1, 3)))
        request.raw_input_contents.append(data)
        if fuzzer.hostile and fuzzer.chance(0.1):
            request.raw_input_contents.append(rng.randbytes(8))
    else:
        tensor.contents.fp32_contents.extend(_f32(v) for v in values * (rows // 64 + 1))
        del tensor.contents.fp32_contents[rows * width :]
        if fuzzer.hostile and fuzzer.chance(0.3):
            tensor.contents.fp64_contents.extend(values[:5])
            del tensor.contents.fp32_contents[: rng.randint(0, 3)]
    if fuzzer.hostile and fuzzer.chance(0.1):
        request.inputs.add(name="features", datatype="FP32", shape=[1, width])
    for _ in range(rng.choice((0, 0, 1, 3))):
        output = request.outputs.add(
            name=rng.choice(OUTPUTS) if not fuzzer.hostile or fuzzer.chance(0.7) else "x"
        )
        _parameters(fuzzer, output)
    return request, f"{'raw' if raw else 'typed'}"


def probe_request(fuzzer: MessageFuzzer) -> tuple[str, Message, str]:
    """A probe or metadata call: its method, request and label."""
    method = fuzzer.rng.choice(PROBES)
    if method in ("ServerLive", "ServerReady", "ServerMetadata"):
        request: Message = getattr(oip, f"{method}Request")()
        return method, request, "plain"
    name = MODEL if not fuzzer.hostile or fuzzer.chance(0.6) else fuzzer.string()
    request = getattr(oip, f"{method}Request")(name=name, version=fuzzer._version())
    return method, request, "named"


def _f32(value: float) -> float:
    """float32-representable: out-of-range values become +-Inf, as a client's cast would."""
    try:
        struct.pack("<f", value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")
    return value

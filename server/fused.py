"""One onnxruntime graph for the whole score, built at bundle load time.

The three member graphs all read the same feature matrix; merged into one graph (names
prefixed per member, the input shared) they answer in ONE `session.run` instead of three,
which is most of the per-row cost of single-row scoring. The merged graph is what the parity
check runs against the native models, so it is checked like the separate graphs were.

The time-to-miss graph is not in it: onnxruntime runs every node of a graph on each call,
whichever outputs are asked for, and the hazard trees on the row repeated per interval cost
about as much again as the three members (measured on the demo bundle: 45 us a warm one-row
run of the members alone, 80-90 us with the hazard graph merged in, twice that with cold
caches). Single-row Score asks for the forecast when it wants it (`time_to_miss`), and
batches run the hazard graph as a second session. Nor are the blend and the calibration: the
platt or beta calibration as graph nodes cost 9 us a run, measured, against about 1 us in
plain floats for one row (`EnsembleSpec.calibrate_one`) and a few numpy calls for a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INPUT = "features"


def _rename(names: Any, *, prefix: str, source: str, to: str = INPUT) -> list[str]:
    return [to if n == source else (f"{prefix}{n}" if n else n) for n in names]


def merged_model(members: dict[str, tuple[Path, str, str]]) -> tuple[Any, list[str]]:
    """The merged ModelProto and its outputs (one probabilities tensor per member, in order).

    `members` maps a member name to (onnx file, input name, probabilities output name).
    """
    import onnx
    from onnx import helper

    nodes: list[Any] = []
    initializers: list[Any] = []
    outputs: list[Any] = []
    opsets: dict[str, int] = {}
    input_value: Any = None
    ir_version = 3
    for name, (path, input_name, output_name) in members.items():
        model = onnx.load(str(path))
        prefix = f"{name}/"
        graph = model.graph
        ir_version = max(ir_version, model.ir_version)
        for opset in model.opset_import:
            opsets[opset.domain] = max(opsets.get(opset.domain, 1), opset.version)
        for index, node in enumerate(graph.node):
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = f"{prefix}{index}/{node.name or node.op_type}"
            del copy.input[:]
            copy.input.extend(_rename(node.input, prefix=prefix, source=input_name))
            del copy.output[:]
            copy.output.extend(_rename(node.output, prefix=prefix, source=input_name))
            nodes.append(copy)
        for tensor in graph.initializer:
            constant = onnx.TensorProto()
            constant.CopyFrom(tensor)
            constant.name = prefix + tensor.name
            initializers.append(constant)
        for value in graph.input:
            if value.name == input_name and input_value is None:
                input_value = onnx.ValueInfoProto()
                input_value.CopyFrom(value)
                input_value.name = INPUT
        found = [v for v in graph.output if v.name == output_name]
        if not found or input_value is None:
            raise ValueError(f"{name} graph has no input {input_name!r} or output {output_name!r}")
        for value in found:
            output = onnx.ValueInfoProto()
            output.CopyFrom(value)
            output.name = prefix + value.name
            outputs.append(output)
    graph = helper.make_graph(nodes, "pde-ensemble", [input_value], outputs, initializers)
    merged = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in sorted(opsets.items())]
    )
    merged.ir_version = ir_version
    onnx.checker.check_model(merged)
    return merged, [o.name for o in outputs]

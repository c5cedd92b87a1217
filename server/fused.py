"""One onnxruntime graph for the whole score, built at bundle load time.

The three member graphs all read the same feature matrix; merged into one graph (names
prefixed per member, the input shared) they answer in ONE `session.run` instead of three,
which is most of the per-row cost of single-row scoring. The merged graph is what the parity
check runs against the native models, so it is checked like the separate graphs were.

`scoring_model` adds the time-to-miss graph, fed by nodes that repeat the rows once per
interval (`pde.contracts.hazard.with_intervals`, built in the graph): one run then gives every
model's answer. The blend and the calibration are not in the graph: onnxruntime runs every
node of a graph on each call (about 0.4 us each), and the platt or beta calibration as graph
nodes cost 9 us a run, measured, against about 1 us in plain floats for one row
(`EnsembleSpec.calibrate_one`) and a few numpy calls for a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INPUT = "features"


def _rename(names: Any, *, prefix: str, source: str, to: str = INPUT) -> list[str]:
    return [to if n == source else (f"{prefix}{n}" if n else n) for n in names]


def merged_model(
    members: dict[str, tuple[Path, str, str]], *, inputs: dict[str, str] | None = None
) -> tuple[Any, list[str]]:
    """The merged ModelProto and its outputs (one probabilities tensor per member, in order).

    `members` maps a member name to (onnx file, input name, probabilities output name);
    `inputs` maps a member to the tensor it reads instead of the shared input (one that nodes
    added later produce).
    """
    inputs = inputs or {}
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
            target = inputs.get(name, INPUT)
            copy.input.extend(_rename(node.input, prefix=prefix, source=input_name, to=target))
            del copy.output[:]
            copy.output.extend(_rename(node.output, prefix=prefix, source=input_name, to=target))
            nodes.append(copy)
        for tensor in graph.initializer:
            constant = onnx.TensorProto()
            constant.CopyFrom(tensor)
            constant.name = prefix + tensor.name
            initializers.append(constant)
        for value in graph.input:
            if value.name == input_name and input_value is None and name not in inputs:
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
    if not inputs:  # otherwise the caller adds the nodes that make them, then checks
        onnx.checker.check_model(merged)
    return merged, [o.name for o in outputs]


HAZARDS = "pde/hazards"
HAZARD_ROWS = "pde/hazard_rows"
HEAD_OPSET = 13  # Unsqueeze and Slice take their axes as inputs from 13 on


def _const(name: str, values: Any, dtype: Any) -> Any:
    import numpy as np
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def _hazard_input_nodes(n_features: int, intervals: int) -> tuple[list[Any], list[Any]]:
    """Nodes that build `HAZARD_ROWS`: each row of the input repeated once per interval, the
    interval's index appended ([rows * intervals, features + 1], as `with_intervals`)."""
    import numpy as np
    from onnx import helper

    op = helper.make_node
    constants = [
        _const("pde/repeat", [1, intervals, 1], np.int64),
        _const(
            "pde/index", np.arange(intervals, dtype=np.float32).reshape(1, intervals, 1), np.float32
        ),
        _const("pde/zero", [0], np.int64),
        _const("pde/one", [1], np.int64),
        _const("pde/index_shape", [intervals, 1], np.int64),
        _const("pde/flat", [-1, n_features + 1], np.int64),
    ]
    nodes = [
        op("Unsqueeze", [INPUT, "pde/one"], ["pde/x3"]),
        op("Expand", ["pde/x3", "pde/repeat"], ["pde/repeated"]),
        op("Shape", [INPUT], ["pde/shape"]),
        op("Slice", ["pde/shape", "pde/zero", "pde/one", "pde/zero"], ["pde/rows"]),
        op("Concat", ["pde/rows", "pde/index_shape"], ["pde/index_to"], axis=0),
        op("Expand", ["pde/index", "pde/index_to"], ["pde/indices"]),
        op("Concat", ["pde/repeated", "pde/indices"], ["pde/with_index"], axis=2),
        op("Reshape", ["pde/with_index", "pde/flat"], [HAZARD_ROWS]),
    ]
    return nodes, constants


def scoring_model(
    members: dict[str, tuple[Path, str, str]],
    *,
    n_features: int,
    intervals: int,
    hazard: tuple[Path, str, str],
) -> tuple[Any, list[str]]:
    """The merged members and the time-to-miss graph on the rows repeated per interval, built
    in the graph (`HAZARDS`). Outputs: the members' probabilities in order, then `HAZARDS`."""
    import onnx
    from onnx import helper

    model, outputs = merged_model({**members, "hazard": hazard}, inputs={"hazard": HAZARD_ROWS})
    graph = model.graph
    built, constants = _hazard_input_nodes(n_features, intervals)
    existing = list(graph.node)  # the built nodes go first (topological order)
    del graph.node[:]
    graph.node.extend([*built, *existing])
    graph.initializer.extend(constants)
    hazard_output = graph.output[len(members)]
    graph.output.remove(hazard_output)
    hazard_output.name = HAZARDS
    graph.output.append(hazard_output)
    graph.node.append(helper.make_node("Identity", [outputs[-1]], [HAZARDS]))
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, HEAD_OPSET)
    if not any(o.domain in ("", "ai.onnx") for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("", HEAD_OPSET))
    onnx.checker.check_model(model)
    return model, [*outputs[: len(members)], HAZARDS]

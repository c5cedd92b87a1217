from pathlib import Path

import pytest

from pde import protogen


def test_protogen_committed_code_matches_proto() -> None:
    assert protogen.check() == []


def test_protogen_detects_stale_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proto = tmp_path / "protos" / "pde" / "risk" / "v1"
    proto.mkdir(parents=True)
    for name in protogen.PROTO_FILES[1:]:
        (tmp_path / "protos" / name).write_text((protogen.PROTO_ROOT / name).read_text())
    source = (protogen.PROTO_ROOT / protogen.PROTO_FILES[0]).read_text()
    (proto / "risk.proto").write_text(
        source.replace("int32 top_k = 5;", "int32 top_k = 5;\n  bool extra = 9;")
    )
    monkeypatch.setattr(protogen, "PROTO_ROOT", tmp_path / "protos")
    assert any(name.endswith("risk_pb2.py") for name in protogen.check())


def test_protogen_generated_api_imports() -> None:
    from pde.risk.v1 import open_inference_pb2, open_inference_pb2_grpc, risk_pb2, risk_pb2_grpc

    assert risk_pb2.DESCRIPTOR.package == "pde.risk.v1"
    assert hasattr(risk_pb2_grpc, "RiskScoringServicer")
    # the Open Inference Protocol's own package, so that its standard clients find the service
    assert open_inference_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name == (
        "inference.GRPCInferenceService"
    )
    assert hasattr(open_inference_pb2_grpc, "GRPCInferenceServiceServicer")


def test_protogen_gencode_is_accepted_by_every_declared_runtime() -> None:
    """The stubs' gencode version must not exceed the lowest protobuf and grpcio the package
    declares: a runtime older than its gencode refuses to import it."""
    import re
    import tomllib

    dependencies = tomllib.loads((protogen.ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]

    def floor(package: str) -> tuple[int, ...]:
        (spec,) = [d for d in dependencies if re.match(rf"{package}\s*>=", d)]
        found = re.search(r">=\s*([\d.]+)", spec)
        assert found is not None
        return tuple(int(part) for part in found.group(1).split("."))

    generated = protogen.ROOT / protogen.GENERATED_DIR
    header = re.search(
        r"Protobuf Python Version: ([\d.]+)", (generated / "risk_pb2.py").read_text()
    )
    assert header is not None
    gencode = tuple(int(part) for part in header.group(1).split("."))
    assert gencode <= floor("protobuf"), f"gencode {gencode} needs a higher protobuf floor"
    grpc = re.search(
        r"GRPC_GENERATED_VERSION = '([\d.]+)'", (generated / "risk_pb2_grpc.py").read_text()
    )
    assert grpc is not None
    assert tuple(int(p) for p in grpc.group(1).split(".")) <= floor("grpcio")

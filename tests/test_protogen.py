from pathlib import Path

import pytest

from pde import protogen


def test_protogen_committed_code_matches_proto() -> None:
    assert protogen.check() == []


def test_protogen_detects_stale_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proto = tmp_path / "protos" / "pde" / "risk" / "v1"
    proto.mkdir(parents=True)
    source = (protogen.PROTO_ROOT / protogen.PROTO_FILES[0]).read_text()
    (proto / "risk.proto").write_text(
        source.replace("int32 top_k = 5;", "int32 top_k = 5;\n  bool extra = 9;")
    )
    monkeypatch.setattr(protogen, "PROTO_ROOT", tmp_path / "protos")
    assert any(name.endswith("risk_pb2.py") for name in protogen.check())


def test_protogen_generated_api_imports() -> None:
    from pde.risk.v1 import risk_pb2, risk_pb2_grpc

    assert risk_pb2.DESCRIPTOR.package == "pde.risk.v1"
    assert hasattr(risk_pb2_grpc, "RiskScoringServicer")

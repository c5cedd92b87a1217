"""Reason texts: written from the catalogue shipped in the served bundle, not the code's."""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest

from pde.contracts.bundle import MANIFEST, BundleError, read_manifest, set_current
from pde.contracts.catalogue import CatalogueEntry, format_value
from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from pde.server.scorer import Scorer

# The quick test bundle's features f0..f7, renamed as features of the engine's catalogue.
NAMES = [
    "atm_share",  # share: percent
    "salary_delay_last",  # days: whole
    "balance_min",  # currency: amount
    "spend_to_income",  # ratio of income: decimal
    "credit_missed_count",
    "gambling_amount",
    "utilisation",
    "stress_score",
]
UNITS = ["share", "days", "currency", "ratio of income", "count", "currency", "ratio", "score"]
ROW = [2.0, -1.5, 0.3, float("nan"), 1.0, 0.0, -0.3, 2.0]
TOKEN = "explain-token"  # reloading needs the admin token


def _entries(tag: str, *, with_format: bool = True) -> list[dict[str, str]]:
    entries = []
    for name, unit in zip(NAMES, UNITS, strict=True):
        entry = {
            "name": name,
            "family": "test",
            "description": f"{name} as {tag} describes it",
            "unit": unit,
            "window": "lookback",
            "reason": f"[{tag}] {name} is {{v}}",
        }
        if with_format:
            entry["value_format"] = "whole" if unit == "share" else "amount"
        entries.append(entry)
    return entries


def _bundle_with_catalogue(
    tools: ModuleType, source: Path, model_dir: Path, version: str, entries: list[dict[str, str]]
) -> Path:
    """A copy of the test bundle whose features are `NAMES`, shipping `entries`."""
    target = tools.copy_as(source, model_dir, version)
    manifest = json.loads((target / MANIFEST).read_text())
    renamed = dict(zip(manifest["feature_names"], NAMES, strict=True))
    manifest["feature_names"] = NAMES
    manifest["clip_bounds"] = {renamed[k]: v for k, v in manifest["clip_bounds"].items()}
    manifest["feature_catalogue"] = entries
    (target / MANIFEST).write_text(json.dumps(manifest))
    return target


@pytest.fixture(scope="module")
def models(
    tmp_path_factory: pytest.TempPathFactory, bundle_dir: Path, bundle_tools: ModuleType
) -> Path:
    """v1 and v2 (the same model, other reason texts), v0 (written before `value_format`
    existed) and table (the `--table` bundle, no catalogue); `current` is v1."""
    root = tmp_path_factory.mktemp("explain")
    _bundle_with_catalogue(bundle_tools, bundle_dir, root, "v1", _entries("v1"))
    _bundle_with_catalogue(bundle_tools, bundle_dir, root, "v2", _entries("v2"))
    _bundle_with_catalogue(bundle_tools, bundle_dir, root, "v0", _entries("v0", with_format=False))
    bundle_tools.copy_as(bundle_dir, root, "table")
    set_current(root, "v1")
    return root


@pytest.fixture(scope="module")
def server(models: Path, start_server: Any) -> Iterator[Any]:
    started = start_server(models, token=TOKEN)  # ReloadModel needs a configured token
    started.load()
    yield started
    started.stop(grace=1)


@pytest.fixture(scope="module")
def stub(server: Any) -> Iterator[risk_pb2_grpc.RiskScoringStub]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield risk_pb2_grpc.RiskScoringStub(channel)


ADMIN = (("authorization", f"Bearer {TOKEN}"),)


def _reasons(stub: Any, version: str) -> dict[str, str]:
    request = risk_pb2.ScoreRequest(
        customer_id="c1",
        packed=risk_pb2.PackedFeatures(values=ROW),
        top_reasons=len(ROW),
        model_version=version,
    )
    reply = stub.Score(request, timeout=10, metadata=ADMIN)
    assert reply.model_version == version
    assert reply.reasons
    return {reason.feature: reason.text for reason in reply.reasons}


def test_explain_reason_texts_come_from_the_served_bundle(stub: Any) -> None:
    texts = _reasons(stub, "v1")
    values = dict(zip(NAMES, ROW, strict=True))
    for feature, text in texts.items():
        shown = format_value(values[feature], "whole" if feature == "atm_share" else "amount")
        assert text == f"[v1] {feature} is {shown}"
    # the shipped format (whole) wins over the one the unit would give (percent)
    assert texts["atm_share"] == "[v1] atm_share is 2"


def test_explain_a_reloaded_bundle_brings_its_own_texts(stub: Any) -> None:
    first = _reasons(stub, "v1")
    stub.ReloadModel(risk_pb2.ReloadRequest(bundle_path="v2"), timeout=60, metadata=ADMIN)
    try:
        second = _reasons(stub, "v2")
    finally:
        stub.ReloadModel(risk_pb2.ReloadRequest(bundle_path="v1"), timeout=60, metadata=ADMIN)
    assert all(text.startswith("[v1] ") for text in first.values())
    assert second == {f: text.replace("[v1] ", "[v2] ") for f, text in first.items()}


def test_explain_an_older_bundle_formats_by_unit(models: Path) -> None:
    """A bundle without `value_format` shows values as its units say (a share as percent)."""
    scorer = Scorer(model_dir=models, workers=1)
    try:
        scorer.load(models / "v0")
        reasons = scorer.score_one(ROW, top_reasons=len(ROW))[2].reasons
    finally:
        scorer.close()
    units = dict(zip(NAMES, UNITS, strict=True))
    assert reasons
    for reason in reasons:
        entry = CatalogueEntry(
            name=reason.feature,
            family="test",
            description="",
            unit=units[reason.feature],
            window="",
            reason=f"[v0] {reason.feature} is {{v}}",
        )
        assert reason.text == entry.reason_text(reason.value)
    assert [r.text for r in reasons if r.feature == "atm_share"] == ["[v0] atm_share is 200%"]


def test_explain_a_bundle_without_catalogue_names_the_value(models: Path) -> None:
    scorer = Scorer(model_dir=models, workers=1)
    try:
        scorer.load(models / "table")
        reasons = scorer.score_one(ROW, top_reasons=len(ROW))[2].reasons
    finally:
        scorer.close()
    assert reasons
    for reason in reasons:
        shown = "unknown" if math.isnan(reason.value) else f"{reason.value:.4g}"
        assert reason.text == f"{reason.feature} = {shown}"


def test_explain_a_bad_catalogue_entry_refuses_the_bundle(
    tmp_path: Path, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    entries = _entries("bad")
    entries[0]["value_format"] = "roman"
    bad = _bundle_with_catalogue(bundle_tools, bundle_dir, tmp_path, "bad", entries)
    with pytest.raises(BundleError, match="value_format"):
        read_manifest(bad)


def test_explain_value_formats() -> None:
    assert format_value(0.257, "percent") == "26%"
    assert format_value(0.257, "decimal") == "0.26"
    assert format_value(9.6, "whole") == "10"
    assert format_value(-1234.5, "amount") == "-1,234.50"
    assert all(format_value(math.nan, f) == "unknown" for f in ("percent", "whole", "amount"))


def test_explain_server_does_not_read_the_code_catalogue() -> None:
    """The server's texts come from bundles: it imports no catalogue of the training code."""
    server = Path(__file__).resolve().parents[2] / "server"
    imports = []
    for path in server.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imports += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                imports += [alias.name for alias in node.names]
    assert imports, "no import found: the scan is broken"
    catalogue = ("pde.training.features.catalogue", "pde.training.features.spec")
    assert not [name for name in imports if name.startswith(catalogue)]
    assert not [n for n in imports if n.endswith((".CATALOGUE", ".feature_spec"))]

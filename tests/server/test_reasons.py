"""Reasons an officer understands: standard codes, what is usual, protective factors, and
protected attributes never shown (real server on loopback)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import numpy as np
import pytest

from pde.client import RiskClient
from pde.contracts.bundle import MANIFEST, read_manifest, set_current
from pde.contracts.reason_codes import REASON_CODES
from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from pde.server.bundle import load_bundle
from pde.server.scorer import Scorer

# The quick bundle's f0..f7 as catalogue features; f0 carries the strongest signal, so as
# `age_years` (protected) it would lead the reasons were it not dropped.
NAMES = [
    "age_years",
    "salary_delay_last",
    "balance_min",
    "spend_to_income",
    "credit_missed_count",
    "gambling_amount",
    "utilisation",
    "salary_missing",
]
UNITS = ["years", "days", "currency", "ratio of income", "count", "currency", "ratio", "flag"]
CODES = ["R19", "R01", "R03", "R10", "R05", "R13", "R08", "R01"]
ROW = [2.5, -1.5, 0.3, float("nan"), 1.0, 0.0, -0.3, 2.0]


def _coded_bundle(tools: ModuleType, source: Path, model_dir: Path, version: str) -> Path:
    target = tools.copy_as(source, model_dir, version)
    manifest = json.loads((target / MANIFEST).read_text())
    renamed = dict(zip(manifest["feature_names"], NAMES, strict=True))
    manifest["feature_names"] = NAMES
    manifest["clip_bounds"] = {renamed[k]: v for k, v in manifest["clip_bounds"].items()}
    manifest["feature_statistics"] = {
        renamed[k]: v for k, v in manifest["feature_statistics"].items()
    }
    manifest["feature_catalogue"] = [
        {
            "name": name,
            "family": "test",
            "description": name,
            "unit": unit,
            "window": "lookback",
            "reason": f"{name} is {{v}}",
            "value_format": "whole",
            "reason_code": code,
            "protected": name == "age_years",
        }
        for name, unit, code in zip(NAMES, UNITS, CODES, strict=True)
    ]
    (target / MANIFEST).write_text(json.dumps(manifest))
    return target


@pytest.fixture(scope="module")
def models(
    tmp_path_factory: pytest.TempPathFactory, bundle_dir: Path, bundle_tools: ModuleType
) -> Path:
    root = tmp_path_factory.mktemp("reasons")
    _coded_bundle(bundle_tools, bundle_dir, root, "coded")
    set_current(root, "coded")
    return root


@pytest.fixture(scope="module")
def server(models: Path, start_server: Any) -> Iterator[Any]:
    started = start_server(models)
    started.load()
    yield started
    started.stop(grace=1)


@pytest.fixture(scope="module")
def stub(server: Any) -> Iterator[risk_pb2_grpc.RiskScoringStub]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield risk_pb2_grpc.RiskScoringStub(channel)


def _all_features(stub: Any) -> risk_pb2.ExplainResponse:
    request = risk_pb2.ExplainRequest(
        customer_id="c1", packed=risk_pb2.PackedFeatures(values=ROW), top_k=len(ROW)
    )
    reply: risk_pb2.ExplainResponse = stub.Explain(request, timeout=10)
    return reply


def test_reasons_a_protected_attribute_is_never_a_reason(stub: Any) -> None:
    reply = _all_features(stub)
    # it does move the score (the strongest signal of the model) ...
    assert abs(reply.contributions["age_years"]) == max(
        abs(v) for v in reply.contributions.values()
    )
    shown = [r.feature for r in (*reply.reasons, *reply.protective)]
    # ... yet is neither a reason nor a protective factor
    assert shown and "age_years" not in shown


def test_reasons_carry_a_standard_code_and_what_is_usual(stub: Any, models: Path) -> None:
    reply = _all_features(stub)
    statistics = read_manifest(models / "coded").feature_statistics
    code_of = dict(zip(NAMES, CODES, strict=True))
    assert reply.reasons
    for reason in (*reply.reasons, *reply.protective):
        assert reason.code == code_of[reason.feature]
        assert reason.code_text == REASON_CODES[reason.code]
        stats = statistics[reason.feature]
        assert reason.text.startswith(f"{reason.feature} is ")
        if reason.feature == "salary_missing":
            assert reason.text.endswith(f"; seen in {stats.mean:.0%} of customers")
        else:
            assert "; usually " in reason.text
    delay = [r.text for r in reply.reasons if r.feature == "salary_delay_last"]
    assert not delay or delay[0].endswith(" days")


def test_reasons_the_two_strongest_protective_factors(stub: Any) -> None:
    reply = _all_features(stub)
    lowering = sorted((v, k) for k, v in reply.contributions.items() if v < 0 and k != "age_years")
    assert [r.feature for r in reply.protective] == [k for _, k in lowering[:2]]
    assert all(r.contribution < 0 for r in reply.protective)
    assert all(r.contribution > 0 for r in reply.reasons)
    # Score gives them too when reasons are asked, and none when not
    score = stub.Score(
        risk_pb2.ScoreRequest(
            customer_id="c1", packed=risk_pb2.PackedFeatures(values=ROW), top_reasons=3
        ),
        timeout=10,
    )
    assert [r.feature for r in score.protective] == [r.feature for r in reply.protective]
    assert len(score.reasons) <= 3
    plain = stub.Score(
        risk_pb2.ScoreRequest(customer_id="c1", packed=risk_pb2.PackedFeatures(values=ROW)),
        timeout=10,
    )
    assert not plain.reasons and not plain.protective


def test_reasons_the_client_reads_codes_and_protective_factors(server: Any) -> None:
    with RiskClient(f"127.0.0.1:{server.port}") as client:
        explained = client.explain("c1", np.array(ROW), top_k=3)
        scored = client.score("c1", np.array(ROW), top_reasons=3)
    assert explained.reasons and all(r.code in REASON_CODES for r in explained.reasons)
    assert explained.protective and all(r.code_text for r in explained.protective)
    assert [r.feature for r in scored.protective] == [r.feature for r in explained.protective]


def test_reasons_a_configured_protected_feature_is_dropped_too(models: Path) -> None:
    scorer = Scorer(
        model_dir=models,
        workers=1,
        loader=functools.partial(load_bundle, protected=["salary_delay_last", "balance_min"]),
    )
    try:
        bundle = scorer.load()
        ranked = scorer.score_one(ROW, top_reasons=len(ROW))[2]
    finally:
        scorer.close()
    assert bundle.protected == {"age_years", "salary_delay_last", "balance_min"}
    shown = {r.feature for r in (*ranked.reasons, *ranked.protective)}
    assert shown and not shown & bundle.protected


def test_reasons_the_setting_names_protected_features(monkeypatch: pytest.MonkeyPatch) -> None:
    from pde.core.settings import Settings

    monkeypatch.setenv("PDE_PROTECTED_FEATURES", '["region_rank", "declared_income"]')
    assert Settings().protected_features == ("region_rank", "declared_income")
    monkeypatch.delenv("PDE_PROTECTED_FEATURES")
    assert Settings().protected_features == ()


def test_reasons_the_bundle_ships_training_statistics(bundle_dir: Path) -> None:
    manifest = read_manifest(bundle_dir)
    assert set(manifest.feature_statistics) == set(manifest.feature_names)
    for stats in manifest.feature_statistics.values():
        assert stats.q1 <= stats.median <= stats.q3
        # the test table's features are standard normal with 10% missing
        assert abs(stats.median) < 0.2
        assert 0.05 < stats.missing < 0.15

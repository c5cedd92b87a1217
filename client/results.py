"""Typed results of the scoring service, decoupled from the generated protobuf classes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from pde.risk.v1 import risk_pb2


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float
    contribution: float  # log-odds
    text: str
    code: str = ""  # standard reason code (R01...); empty from bundles without codes
    code_text: str = ""


@dataclass(frozen=True)
class ScoreResult:
    customer_id: str
    probability: float
    model_probabilities: dict[str, float]
    tier: str
    alert: bool
    model_version: str
    reasons: list[Reason]
    protective: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    probability: float
    base_value: float
    contributions: dict[str, float]
    reasons: list[Reason]
    model_version: str
    protective: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class Tier:
    name: str
    lower: float
    upper: float


@dataclass(frozen=True)
class ModelInfo:
    version: str
    created_at: datetime
    feature_names: list[str]
    feature_catalogue_version: str | None
    threshold: float
    tiers: list[Tier]
    ensemble_weights: dict[str, float]
    metrics: dict[str, Any]


@dataclass(frozen=True)
class RowScore:
    """One row of a batch: `score_many` yields these in input order."""

    row_id: str
    probability: float
    tier: str
    alert: bool
    model_version: str


@dataclass(frozen=True)
class BatchScores:
    """One chunk of a stream, as arrays (fast path for large files)."""

    row_ids: list[str]
    probabilities: npt.NDArray[np.float32]
    tiers: list[str]
    alerts: npt.NDArray[np.bool_]
    model_version: str

    def rows(self) -> list[RowScore]:
        return [
            RowScore(row_id, float(p), tier, bool(a), self.model_version)
            for row_id, p, tier, a in zip(
                self.row_ids, self.probabilities, self.tiers, self.alerts, strict=True
            )
        ]


def reasons(messages: Any) -> list[Reason]:
    return [
        Reason(r.feature, r.value, r.contribution, r.text, code=r.code, code_text=r.code_text)
        for r in messages
    ]


def score_result(message: risk_pb2.ScoreResponse) -> ScoreResult:
    return ScoreResult(
        customer_id=message.customer_id,
        probability=message.probability,
        model_probabilities=dict(message.model_probabilities),
        tier=message.tier,
        alert=message.alert,
        model_version=message.model_version,
        reasons=reasons(message.reasons),
        protective=reasons(message.protective),
    )


def explanation(message: risk_pb2.ExplainResponse) -> Explanation:
    return Explanation(
        customer_id=message.customer_id,
        probability=message.probability,
        base_value=message.base_value,
        contributions=dict(message.contributions),
        reasons=reasons(message.reasons),
        model_version=message.model_version,
        protective=reasons(message.protective),
    )


def model_info(message: risk_pb2.ModelInfo) -> ModelInfo:
    return ModelInfo(
        version=message.version,
        created_at=message.created_at.ToDatetime(),
        feature_names=list(message.feature_names),
        feature_catalogue_version=message.feature_catalogue_version or None,
        threshold=message.threshold,
        tiers=[Tier(t.name, t.lower, t.upper) for t in message.tiers],
        ensemble_weights=dict(message.ensemble_weights),
        metrics=json.loads(message.metrics_json or "{}"),
    )


def batch_scores(message: risk_pb2.ScoreBatchResult, tier_names: list[str]) -> BatchScores:
    tiers = np.frombuffer(message.tiers, dtype=np.uint8)
    return BatchScores(
        row_ids=list(message.row_ids),
        probabilities=np.frombuffer(message.probabilities, dtype="<f4"),
        tiers=[tier_names[i] for i in tiers],
        alerts=np.frombuffer(message.alerts, dtype=np.uint8).astype(bool),
        model_version=message.model_version,
    )

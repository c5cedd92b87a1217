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
class TimeToMiss:
    """The chance of a miss within 7, 14 and 30 days and the expected days to it (given one
    within 30 days), from the model's hazard model."""

    within_7d: float
    within_14d: float
    within_30d: float
    expected_days: float


def time_to_miss(message: Any) -> TimeToMiss | None:
    """The message's time to miss; None when the model has no hazard model."""
    if not message.HasField("miss_within_30d"):
        return None
    return TimeToMiss(
        message.miss_within_7d,
        message.miss_within_14d,
        message.miss_within_30d,
        message.expected_days_to_miss,
    )


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
    miss: TimeToMiss | None = None
    # When asked (`effects=True`): per action, the expected fall in the 30-day miss probability.
    expected_effects: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    probability: float
    base_value: float
    contributions: dict[str, float]
    reasons: list[Reason]
    model_version: str
    protective: list[Reason] = field(default_factory=list)
    miss: TimeToMiss | None = None


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
    # The shadow challenger the server scores beside this model on ScoreStream, if any.
    challenger_version: str | None = None
    challenger_feature_names: list[str] = field(default_factory=list)
    # Actions whose expected effects the model serves (empty without uplift models).
    actions: list[str] = field(default_factory=list)
    control_action: str = ""


@dataclass(frozen=True)
class RowScore:
    """One row of a batch: `score_many` yields these in input order."""

    row_id: str
    probability: float
    tier: str
    alert: bool
    model_version: str
    miss: TimeToMiss | None = None
    expected_effects: dict[str, float] = field(default_factory=dict)
    shadow: ShadowScore | None = None  # the server's shadow challenger, when one is loaded


@dataclass(frozen=True)
class ShadowScore:
    """One row's score by the shadow challenger."""

    version: str
    probability: float
    alert: bool


@dataclass(frozen=True)
class ShadowBatch:
    """A chunk's scores by the shadow challenger, in the order of its rows."""

    version: str
    probabilities: npt.NDArray[np.float32]
    alerts: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BatchScores:
    """One chunk of a stream, as arrays (fast path for large files)."""

    row_ids: list[str]
    probabilities: npt.NDArray[np.float32]
    tiers: list[str]
    alerts: npt.NDArray[np.bool_]
    model_version: str
    # [rows, 4]: miss within 7, 14, 30 days and expected days; None without a hazard model.
    miss: npt.NDArray[np.float32] | None = None
    shadow: ShadowBatch | None = None
    # When asked: the actions and [rows, actions] expected falls in the miss probability.
    actions: list[str] = field(default_factory=list)
    effects: npt.NDArray[np.float32] | None = None

    def rows(self) -> list[RowScore]:
        miss: list[TimeToMiss | None] = [None] * len(self.row_ids)
        if self.miss is not None:
            miss = [TimeToMiss(*map(float, m)) for m in self.miss]
        shadow: list[ShadowScore | None] = [None] * len(self.row_ids)
        if self.shadow is not None:
            s = self.shadow
            shadow = [
                ShadowScore(s.version, float(p), bool(a))
                for p, a in zip(s.probabilities, s.alerts, strict=True)
            ]
        effects: list[dict[str, float]] = [{} for _ in self.row_ids]
        if self.effects is not None:
            effects = [dict(zip(self.actions, e.tolist(), strict=True)) for e in self.effects]
        return [
            RowScore(
                row_id, float(p), tier, bool(a), self.model_version, m, shadow=c, expected_effects=e
            )
            for row_id, p, tier, a, m, c, e in zip(
                self.row_ids,
                self.probabilities,
                self.tiers,
                self.alerts,
                miss,
                shadow,
                effects,
                strict=True,
            )
        ]


@dataclass(frozen=True)
class BatchExplanations:
    """One chunk of an explanation stream: per row, its probability and top reasons."""

    row_ids: list[str]
    probabilities: npt.NDArray[np.float32]
    base_values: npt.NDArray[np.float32]
    reasons: list[list[Reason]]
    model_version: str


MISS_COLUMNS = ("miss_within_7d", "miss_within_14d", "miss_within_30d", "expected_days_to_miss")


def batch_miss(message: Any, rows: int) -> npt.NDArray[np.float32] | None:
    """The time to miss of a ScoreBatchResult, [rows, 4]; None when it carries none."""
    if not message.miss_within_30d:
        return None
    columns = [np.frombuffer(getattr(message, c), dtype="<f4") for c in MISS_COLUMNS]
    if any(c.shape[0] != rows for c in columns):
        raise ValueError("the time-to-miss columns do not match the rows")
    return np.stack(columns, axis=1)


def batch_effects(message: Any, rows: int) -> npt.NDArray[np.float32] | None:
    """The effects of a ScoreBatchResult, [rows, actions]; None when it carries none."""
    if not message.actions:
        return None
    values = np.frombuffer(message.effects, dtype="<f4")
    if values.shape[0] != rows * len(message.actions):
        raise ValueError("the effects do not match the rows and actions")
    return values.reshape(rows, len(message.actions))


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
        miss=time_to_miss(message),
        expected_effects=dict(message.expected_effects),
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
        miss=time_to_miss(message),
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
        challenger_version=message.challenger_version or None,
        challenger_feature_names=list(message.challenger_feature_names),
        actions=list(message.actions),
        control_action=message.control_action,
    )


def batch_scores(message: risk_pb2.ScoreBatchResult, tier_names: list[str]) -> BatchScores:
    tiers = np.frombuffer(message.tiers, dtype=np.uint8)
    return BatchScores(
        row_ids=list(message.row_ids),
        probabilities=np.frombuffer(message.probabilities, dtype="<f4"),
        tiers=[tier_names[i] for i in tiers],
        alerts=np.frombuffer(message.alerts, dtype=np.uint8).astype(bool),
        model_version=message.model_version,
        miss=batch_miss(message, len(message.row_ids)),
        shadow=batch_shadow(message, len(message.row_ids)),
        actions=list(message.actions),
        effects=batch_effects(message, len(message.row_ids)),
    )


def batch_shadow(message: risk_pb2.ScoreBatchResult, rows: int) -> ShadowBatch | None:
    """The shadow challenger's scores of a ScoreBatchResult; None when it carries none."""
    if not message.challenger_version:
        return None
    probabilities = np.frombuffer(message.challenger_probabilities, dtype="<f4")
    alerts = np.frombuffer(message.challenger_alerts, dtype=np.uint8).astype(bool)
    if probabilities.shape[0] != rows or alerts.shape[0] != rows:
        raise ValueError("the challenger's columns do not match the rows")
    return ShadowBatch(message.challenger_version, probabilities, alerts)


def batch_explanations(message: risk_pb2.ExplainBatchResult) -> BatchExplanations:
    return BatchExplanations(
        row_ids=list(message.row_ids),
        probabilities=np.frombuffer(message.probabilities, dtype="<f4"),
        base_values=np.frombuffer(message.base_values, dtype="<f4"),
        reasons=[reasons(row.reasons) for row in message.reasons],
        model_version=message.model_version,
    )

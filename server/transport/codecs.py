"""Proto <-> core conversions: requests into row inputs, results into responses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp

from pde.contracts.bundle import Manifest
from pde.core.names import MODEL_NAMES
from pde.risk.v1 import risk_pb2
from pde.server.activity import EARLIEST, LATEST, Activity
from pde.server.bundle import BatchScores, LoadedBundle, RowScore
from pde.server.ensemble import F64
from pde.server.errors import InvalidInputError
from pde.server.explain import BatchExplanation, Explanation, Ranked, Reason
from pde.server.scorer import RowInput
from pde.server.uplift import BatchEffects

TextRequest = risk_pb2.ScoreRequest | risk_pb2.ExplainRequest

_EPOCH = datetime(1970, 1, 1)
_FIRST_SECOND = int((EARLIEST - _EPOCH).total_seconds())
_LAST_SECOND = int((LATEST - _EPOCH).total_seconds())


def _moment(stamp: Timestamp, field: str) -> datetime:
    """The timestamp as naive UTC (like the canonical timestamps), within the accepted range."""
    if not (_FIRST_SECOND <= stamp.seconds < _LAST_SECOND and 0 <= stamp.nanos < 1_000_000_000):
        raise InvalidInputError(
            f"{field} is out of range (seconds={stamp.seconds}, nanos={stamp.nanos}): raw "
            f"activity takes moments from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d}"
        )
    return stamp.ToDatetime()


def _day(stamp: Timestamp, field: str) -> date:
    return _moment(stamp, field).date()


def activity(customer_id: str, message: risk_pb2.RawActivity) -> Activity:
    """The core's `Activity` from the proto; the as_of time is required."""
    if not message.HasField("as_of"):
        raise InvalidInputError("raw activity needs as_of")
    p = message.profile
    profile: dict[str, Any] = {
        "open_date": _day(p.open_date, "profile.open_date") if p.HasField("open_date") else None,
        "birth_year": p.birth_year or None,
        "income_bracket": p.income_bracket or None,
        "employment_type": p.employment_type or None,
        "region": p.region or None,
        "product": p.product or None,
        "credit_limit": p.credit_limit,
        "outstanding_balance": p.outstanding_balance,
        "monthly_obligation": p.monthly_obligation,
        "declared_income": p.declared_income if p.HasField("declared_income") else None,
    }
    transactions = [
        {
            "timestamp": _moment(t.timestamp, f"transactions[{i}].timestamp"),
            "amount": t.amount,
            "category": t.category,
            "channel": t.channel,
            "balance_after": t.balance_after if t.HasField("balance_after") else None,
        }
        for i, t in enumerate(message.transactions)
    ]
    payments = [
        {
            "kind": p.kind or "loan",
            "due_date": _day(p.due_date, f"payments[{i}].due_date"),
            "amount_due": p.amount_due,
            "paid_date": (
                _day(p.paid_date, f"payments[{i}].paid_date") if p.HasField("paid_date") else None
            ),
            "amount_paid": p.amount_paid,
            "auto_debit": p.auto_debit,
            "auto_debit_status": p.auto_debit_status or None,
        }
        for i, p in enumerate(message.payments)
    ]
    return Activity(
        customer_id=customer_id,
        as_of=_day(message.as_of, "as_of"),
        profile=profile,
        transactions=transactions,
        payments=payments,
    )


# PackedFeatures.values: field 1, length-delimited; written first, before any unknown field.
_PACKED_TAG = 0x0A


def packed_values(packed: risk_pb2.PackedFeatures) -> F64:
    """The packed values as float64, read from the message's own encoding: a packed
    repeated double is its values as little-endian bytes after a tag and a length, so the
    values come out as one array, without a Python float each."""
    count = len(packed.values)
    if not count:
        return np.empty(0)
    data = packed.SerializeToString()
    size = 8 * count
    if data[0] != _PACKED_TAG:  # not the layout above: read them one by one
        return np.array(packed.values, dtype=np.float64)
    return np.frombuffer(data, dtype="<f8", count=count, offset=1 + (size.bit_length() + 6) // 7)


def row_input(request: TextRequest) -> RowInput:
    """The request's features: by name, packed in model order, or raw activity."""
    kind = request.WhichOneof("input")
    if kind == "packed":
        return packed_values(request.packed)
    if kind == "named":
        return dict(request.named.values)
    if kind == "activity":
        return activity(request.customer_id, request.activity)
    raise InvalidInputError("the request has no input: set named, packed or activity")


def _reasons(reasons: list[Reason]) -> list[risk_pb2.Reason]:
    return [
        risk_pb2.Reason(
            feature=r.feature,
            value=r.value,
            contribution=r.contribution,
            text=r.text,
            code=r.code,
            code_text=r.code_text,
        )
        for r in reasons
    ]


MISS_FIELDS = ("miss_within_7d", "miss_within_14d", "miss_within_30d", "expected_days_to_miss")


def _miss(miss: tuple[float, float, float, float] | None) -> dict[str, Any]:
    return {} if miss is None else dict(zip(MISS_FIELDS, miss, strict=True))


def _miss_bytes(scores: BatchScores) -> dict[str, Any]:
    m = scores.miss
    if m is None:
        return {}
    columns = (m.within_7d, m.within_14d, m.within_30d, m.expected_days)
    return {f: c.astype("<f4").tobytes() for f, c in zip(MISS_FIELDS, columns, strict=True)}


def score_response(
    customer_id: str, bundle: LoadedBundle, score: RowScore, reasons: Ranked
) -> risk_pb2.ScoreResponse:
    """The response of one score: fields set on the message, no keyword dicts built."""
    response = risk_pb2.ScoreResponse(
        customer_id=customer_id,
        probability=score.probability,
        tier=bundle.spec.tier_names[score.tier],
        alert=score.alert,
        model_version=bundle.version,
    )
    probabilities = response.model_probabilities
    for name, value in zip(MODEL_NAMES, score.per_model, strict=True):
        probabilities[name] = value
    if score.miss is not None:
        (
            response.miss_within_7d,
            response.miss_within_14d,
            response.miss_within_30d,
            response.expected_days_to_miss,
        ) = score.miss
    if reasons.reasons or reasons.protective:
        response.reasons.extend(_reasons(reasons.reasons))
        response.protective.extend(_reasons(reasons.protective))
    return response


def batch_result(
    row_ids: Any, bundle: LoadedBundle, scores: BatchScores
) -> risk_pb2.ScoreBatchResult:
    return risk_pb2.ScoreBatchResult(
        row_ids=row_ids,
        probabilities=scores.probability.astype("<f4").tobytes(),
        tiers=scores.tier.tobytes(),
        alerts=scores.alert.astype(np.uint8).tobytes(),
        model_version=bundle.version,
        **_miss_bytes(scores),
    )


def with_effects(
    request: risk_pb2.ScoreRequest,
    bundle: LoadedBundle,
    score: RowScore,
    reasons: Ranked,
    effects: dict[str, float],
) -> risk_pb2.ScoreResponse:
    """A Score answer that carries the row's expected effect per action."""
    response = score_response(request.customer_id, bundle, score, reasons)
    response.expected_effects.update(effects)
    return response


def batch_with_effects(
    row_ids: Any, bundle: LoadedBundle, scores: BatchScores, effects: BatchEffects
) -> risk_pb2.ScoreBatchResult:
    """A ScoreStream answer with every row's effects, [rows, actions] float32."""
    result = batch_result(row_ids, bundle, scores)
    result.actions.extend(effects.actions)
    result.effects = effects.as_bytes()
    return result


def explain_response(
    customer_id: str, bundle: LoadedBundle, explanation: Explanation
) -> risk_pb2.ExplainResponse:
    return risk_pb2.ExplainResponse(
        customer_id=customer_id,
        probability=explanation.probability,
        base_value=explanation.base_value,
        contributions=explanation.contributions,
        reasons=_reasons(explanation.reasons),
        model_version=bundle.version,
        protective=_reasons(explanation.protective),
        **_miss(explanation.miss),
    )


def explain_batch_result(
    row_ids: Any, bundle: LoadedBundle, explained: BatchExplanation
) -> risk_pb2.ExplainBatchResult:
    return risk_pb2.ExplainBatchResult(
        row_ids=row_ids,
        probabilities=explained.probability.astype("<f4").tobytes(),
        base_values=explained.base_value.astype("<f4").tobytes(),
        reasons=[risk_pb2.RowReasons(reasons=_reasons(r)) for r in explained.reasons],
        model_version=bundle.version,
    )


def model_info(manifest: Manifest) -> risk_pb2.ModelInfo:
    import json

    created = Timestamp()
    created.FromDatetime(manifest.created_at)
    return risk_pb2.ModelInfo(
        version=manifest.version,
        created_at=created,
        feature_names=manifest.feature_names,
        feature_catalogue_version=manifest.feature_catalogue_version or "",
        threshold=manifest.threshold,
        tiers=[risk_pb2.Tier(name=t.name, lower=t.lower, upper=t.upper) for t in manifest.tiers],
        ensemble_weights=manifest.weights,
        metrics_json=json.dumps(manifest.metrics, sort_keys=True),
        actions=manifest.uplift.actions if manifest.uplift else [],
        control_action=manifest.uplift.control if manifest.uplift else "",
    )

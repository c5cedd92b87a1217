"""Replays a stored decision: recomputes a customer's score and reasons as of a date with the
bundle that made it, and says whether they match what `risk_scores` holds.

The bundle (`PDE_MODEL_DIR/<version>`) is loaded in-process (`pde.server.bundle`), the
features are recomputed from the canonical data with the point-in-time rule, and the score and
reasons are worked out as the server works them out; they must equal the stored ones within
`TOLERANCE`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from pde.contracts.data.io import load_dataset
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.db.engine import session_scope
from pde.db.models import RiskScore
from pde.server.bundle import LoadedBundle, load_bundle
from pde.server.explain import explain_row
from pde.training.features import compute_features

TOLERANCE = 1e-6


class ReplayError(PdeError):
    """The decision cannot be replayed (no stored score, bundle or data for it)."""


@dataclass(frozen=True)
class ReplayedReason:
    feature: str
    value: float | None
    contribution: float
    text: str


@dataclass(frozen=True)
class Replay:
    """A stored decision and its recomputation; `differences` is empty when they match."""

    customer_id: str
    as_of: date
    model_version: str
    stored_probability: float
    probability: float
    stored_tier: str
    tier: str
    stored_reasons: list[ReplayedReason]
    reasons: list[ReplayedReason]
    differences: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences


def _stored(
    *, customer_id: str, as_of: date, model_version: str | None, engine: Engine | None
) -> Any:
    with session_scope(engine=engine) as session:
        query = select(RiskScore).where(
            col(RiskScore.customer_id) == customer_id, col(RiskScore.as_of) == as_of
        )
        if model_version:
            query = query.where(col(RiskScore.model_version) == model_version)
        rows = session.exec(query.order_by(col(RiskScore.scored_at).desc())).all()
        if not rows:
            which = f" by model {model_version}" if model_version else ""
            raise ReplayError(f"no stored score for {customer_id} as of {as_of}{which}")
        row = rows[0]
        session.expunge(row)
        return row


def feature_row(
    data_dir: Path, bundle: LoadedBundle, *, customer_id: str, as_of: date, lookback_days: int
) -> np.ndarray:
    """The customer's point-in-time feature row [1, features] in the bundle's order."""
    features = compute_features(load_dataset(data_dir), [as_of], lookback_days=lookback_days)
    row = features.filter(pl.col("customer_id") == customer_id)
    if row.height != 1:
        raise ReplayError(f"customer {customer_id} is not in the data at {data_dir}")
    return row.select(bundle.spec.feature_names).to_numpy().astype(np.float32)


def _stored_reasons(raw: list[Any]) -> list[ReplayedReason]:
    return [
        ReplayedReason(
            feature=str(r["feature"]),
            value=None if r.get("value") is None else float(r["value"]),
            contribution=float(r.get("contribution", math.nan)),
            text=str(r.get("text", "")),
        )
        for r in raw
        if isinstance(r, dict) and "feature" in r
    ]


def _differences(stored: Replay) -> list[str]:
    found = []
    if abs(stored.probability - stored.stored_probability) > TOLERANCE:
        found.append(
            f"probability {stored.probability:.8f}, stored {stored.stored_probability:.8f}"
        )
    if stored.tier != stored.stored_tier:
        found.append(f"tier {stored.tier}, stored {stored.stored_tier}")
    now = [r.feature for r in stored.reasons]
    then = [r.feature for r in stored.stored_reasons]
    if now != then:
        found.append(f"reasons {', '.join(now) or 'none'}, stored {', '.join(then) or 'none'}")
    for new, old in zip(stored.reasons, stored.stored_reasons, strict=False):
        if new.feature == old.feature and abs(new.contribution - old.contribution) > TOLERANCE:
            found.append(
                f"{new.feature} contributes {new.contribution:+.8f}, stored {old.contribution:+.8f}"
            )
    return found


def replay(
    customer_id: str,
    *,
    as_of: date,
    model_version: str | None = None,
    data_dir: Path,
    model_dir: Path,
    engine: Engine | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> Replay:
    """Replays the stored decision for the customer at `as_of` (by `model_version`, default
    the one stored last for that date). Raises ReplayError when there is nothing to replay."""
    stored = _stored(
        customer_id=customer_id, as_of=as_of, model_version=model_version, engine=engine
    )
    bundle_dir = model_dir / stored.model_version
    if not bundle_dir.is_dir():
        raise ReplayError(f"the bundle {stored.model_version} is not in {model_dir}")
    bundle = load_bundle(bundle_dir)
    row = feature_row(
        data_dir, bundle, customer_id=customer_id, as_of=as_of, lookback_days=lookback_days
    )
    before = _stored_reasons(list(stored.top_reasons or []))
    scores = bundle.score(row)
    reasons: list[ReplayedReason] = []
    if before:  # reasons were stored: work them out the same way, as many
        explained = explain_row(bundle, row, top_k=len(before))
        reasons = [
            ReplayedReason(
                r.feature, r.value if math.isfinite(r.value) else None, r.contribution, r.text
            )
            for r in explained.reasons
        ]
    result = Replay(
        customer_id=customer_id,
        as_of=as_of,
        model_version=stored.model_version,
        stored_probability=float(stored.probability),
        probability=float(scores.probability[0]),
        stored_tier=str(stored.tier),
        tier=bundle.spec.tier_names[int(scores.tier[0])],
        stored_reasons=before,
        reasons=reasons,
    )
    return Replay(**{**result.__dict__, "differences": _differences(result)})

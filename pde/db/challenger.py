"""The shadow challenger's stored scores (`challenger_scores`) and their pairing with the
champion's `risk_scores` and the matured outcomes. The caller owns the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlmodel import Session, col

from pde.db.models.monitoring import ChallengerScore, MaturedOutcome
from pde.db.models.scoring import RiskScore
from pde.db.types import utc_now


def replace_scores(
    *,
    session: Session,
    as_of: date,
    challenger_version: str,
    champion_version: str,
    customer_ids: Sequence[str],
    probability: Sequence[float],
    threshold_alert: Sequence[bool],
    alert: Sequence[bool],
) -> int:
    """Stores one date's shadow scores of a challenger, replacing earlier ones."""
    session.execute(
        sa.delete(ChallengerScore).where(
            col(ChallengerScore.as_of) == as_of,
            col(ChallengerScore.challenger_version) == challenger_version,
        )
    )
    now = utc_now()
    rows = [
        {
            "as_of": as_of,
            "challenger_version": challenger_version,
            "customer_id": cid,
            "champion_version": champion_version,
            "probability": float(p),
            "threshold_alert": bool(t),
            "alert": bool(a),
            "scored_at": now,
        }
        for cid, p, t, a in zip(customer_ids, probability, threshold_alert, alert, strict=True)
    ]
    if rows:
        session.execute(sa.insert(ChallengerScore), rows)
    return len(rows)


def shadow_pairs(session: Session) -> list[tuple[str, str]]:
    """(challenger, champion) pairs with stored shadow scores, the latest scored first."""
    found = session.execute(
        sa.select(
            col(ChallengerScore.challenger_version),
            col(ChallengerScore.champion_version),
            sa.func.max(col(ChallengerScore.as_of)),
        )
        .group_by(col(ChallengerScore.challenger_version), col(ChallengerScore.champion_version))
        .order_by(sa.func.max(col(ChallengerScore.as_of)).desc())
    ).all()
    return [(row[0], row[1]) for row in found]


@dataclass(frozen=True)
class PairedScores:
    """Both models' scores of the same customers (challenger, champion), with the matured
    label where it is known (-1 where not) and each model's alert."""

    as_of: npt.NDArray[np.object_]
    challenger: npt.NDArray[np.float64]
    champion: npt.NDArray[np.float64]
    challenger_alert: npt.NDArray[np.bool_]
    champion_alert: npt.NDArray[np.bool_]
    label: npt.NDArray[np.int8]


def paired_scores(
    session: Session, *, challenger: str, champion: str, as_of: date | None = None
) -> PairedScores:
    """The shadow scores of `challenger` beside `champion`'s stored scores of the same
    customers and dates (one date, or all), with the matured outcome when known."""
    query = (
        sa.select(
            col(ChallengerScore.as_of),
            col(ChallengerScore.probability),
            col(RiskScore.probability),
            col(ChallengerScore.alert),
            col(RiskScore.alert),
            col(MaturedOutcome.label),
        )
        .join(
            RiskScore,
            (col(RiskScore.customer_id) == col(ChallengerScore.customer_id))
            & (col(RiskScore.as_of) == col(ChallengerScore.as_of))
            & (col(RiskScore.model_version) == col(ChallengerScore.champion_version)),
        )
        .outerjoin(
            MaturedOutcome,
            (col(MaturedOutcome.customer_id) == col(ChallengerScore.customer_id))
            & (col(MaturedOutcome.as_of) == col(ChallengerScore.as_of)),
        )
        .where(
            col(ChallengerScore.challenger_version) == challenger,
            col(ChallengerScore.champion_version) == champion,
        )
        .order_by(col(ChallengerScore.as_of), col(ChallengerScore.customer_id))
    )
    if as_of is not None:
        query = query.where(col(ChallengerScore.as_of) == as_of)
    found = session.execute(query).all()
    return PairedScores(
        as_of=np.array([row[0] for row in found], dtype=object),
        challenger=np.array([row[1] for row in found], dtype=np.float64),
        champion=np.array([row[2] for row in found], dtype=np.float64),
        challenger_alert=np.array([bool(row[3]) for row in found], dtype=bool),
        champion_alert=np.array([bool(row[4]) for row in found], dtype=bool),
        label=np.array([-1 if row[5] is None else row[5] for row in found], dtype=np.int8),
    )

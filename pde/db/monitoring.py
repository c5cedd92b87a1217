"""Monitoring rows: drift per scoring date, performance per scoring date, matured outcomes,
and the score history they are computed from. The caller owns the unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from pde.db.models.monitoring import DriftCheck, FeatureDrift, MaturedOutcome, PerformanceByDate
from pde.db.models.scoring import RiskScore
from pde.db.types import utc_now


def record_drift(*, session: Session, check: DriftCheck, features: Sequence[FeatureDrift]) -> None:
    """Stores one date's drift, replacing an earlier check of the same date and model."""
    key = (col(FeatureDrift.as_of) == check.as_of) & (
        col(FeatureDrift.model_version) == check.model_version
    )
    session.execute(sa.delete(FeatureDrift).where(key))
    session.execute(
        sa.delete(DriftCheck).where(
            (col(DriftCheck.as_of) == check.as_of)
            & (col(DriftCheck.model_version) == check.model_version)
        )
    )
    session.add(check)
    session.flush()
    session.add_all(features)
    session.flush()


def record_performance(*, session: Session, row: PerformanceByDate) -> None:
    """Stores (or replaces) one date's realised or estimated performance of a model."""
    session.merge(row)
    session.flush()


def record_outcomes(*, session: Session, as_of: date, labels: Mapping[str, int]) -> int:
    """Stores the 30-day outcomes of scoring date `as_of` (replacing earlier ones)."""
    session.execute(sa.delete(MaturedOutcome).where(col(MaturedOutcome.as_of) == as_of))
    now = utc_now()
    rows = [
        {"customer_id": cid, "as_of": as_of, "label": int(label), "recorded_at": now}
        for cid, label in labels.items()
    ]
    if rows:
        session.execute(sa.insert(MaturedOutcome), rows)
    return len(rows)


def scored_dates(session: Session, *, model_version: str | None = None) -> list[tuple[date, str]]:
    """(as_of, model_version) of every scoring date in the history, oldest first."""
    query = sa.select(col(RiskScore.as_of), col(RiskScore.model_version)).distinct()
    if model_version is not None:
        query = query.where(col(RiskScore.model_version) == model_version)
    found = session.execute(
        query.order_by(col(RiskScore.as_of), col(RiskScore.model_version))
    ).all()
    return [(row[0], row[1]) for row in found]


def outcome_dates(session: Session) -> set[date]:
    """The scoring dates whose outcomes are stored."""
    return set(session.execute(sa.select(col(MaturedOutcome.as_of)).distinct()).scalars())


def scores_of(
    session: Session, *, as_of: date, model_version: str
) -> tuple[list[str], npt.NDArray[np.float64], list[str]]:
    """Customer ids, probabilities and tiers of one scoring date, ordered by customer."""
    found = session.execute(
        sa.select(col(RiskScore.customer_id), col(RiskScore.probability), col(RiskScore.tier))
        .where(col(RiskScore.as_of) == as_of, col(RiskScore.model_version) == model_version)
        .order_by(col(RiskScore.customer_id))
    ).all()
    ids = [row[0] for row in found]
    probability = np.array([row[1] for row in found], dtype=np.float64)
    tiers = [str(getattr(row[2], "value", row[2])) for row in found]
    return ids, probability, tiers


def labelled_scores(
    session: Session, *, as_of: date, model_version: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8], list[str]]:
    """Probabilities, matured labels and tiers of the customers of a date with an outcome."""
    found = session.execute(
        sa.select(col(RiskScore.probability), col(MaturedOutcome.label), col(RiskScore.tier))
        .join(
            MaturedOutcome,
            (col(MaturedOutcome.customer_id) == col(RiskScore.customer_id))
            & (col(MaturedOutcome.as_of) == col(RiskScore.as_of)),
        )
        .where(col(RiskScore.as_of) == as_of, col(RiskScore.model_version) == model_version)
        .order_by(col(RiskScore.customer_id))
    ).all()
    probability = np.array([row[0] for row in found], dtype=np.float64)
    labels = np.array([row[1] for row in found], dtype=np.int8)
    return probability, labels, [str(getattr(row[2], "value", row[2])) for row in found]


def paired_outcomes(
    session: Session, *, first: str, second: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """Both models' probabilities and the matured label on the rows both scored, for a
    comparison on the same customers and dates."""
    other = aliased(RiskScore)
    found = session.execute(
        sa.select(col(RiskScore.probability), col(other.probability), col(MaturedOutcome.label))
        .join(
            other,
            (col(other.customer_id) == col(RiskScore.customer_id))
            & (col(other.as_of) == col(RiskScore.as_of)),
        )
        .join(
            MaturedOutcome,
            (col(MaturedOutcome.customer_id) == col(RiskScore.customer_id))
            & (col(MaturedOutcome.as_of) == col(RiskScore.as_of)),
        )
        .where(col(RiskScore.model_version) == first, col(other.model_version) == second)
    ).all()
    return (
        np.array([row[0] for row in found], dtype=np.float64),
        np.array([row[1] for row in found], dtype=np.float64),
        np.array([row[2] for row in found], dtype=np.int8),
    )


def drift_checks(session: Session, *, model_version: str | None = None) -> list[DriftCheck]:
    """Every stored drift check, oldest scoring date first."""
    query = select(DriftCheck)
    if model_version is not None:
        query = query.where(DriftCheck.model_version == model_version)
    return list(session.exec(query.order_by(col(DriftCheck.as_of), col(DriftCheck.model_version))))


def latest_checked_version(session: Session) -> str | None:
    """The model of the newest drift check (the newest scoring date's); None without any."""
    query = select(DriftCheck.model_version).order_by(
        col(DriftCheck.as_of).desc(), col(DriftCheck.model_version).desc()
    )
    return session.exec(query.limit(1)).first()


def feature_drift(
    session: Session, *, as_of: date, model_version: str, limit: int | None = None
) -> list[FeatureDrift]:
    """One date's feature drift, most drifted first."""
    query = (
        select(FeatureDrift)
        .where(FeatureDrift.as_of == as_of, FeatureDrift.model_version == model_version)
        .order_by(col(FeatureDrift.psi).desc(), col(FeatureDrift.feature))
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def performance(session: Session, *, model_version: str | None = None) -> list[PerformanceByDate]:
    """Every stored performance row, oldest scoring date first."""
    query = select(PerformanceByDate)
    if model_version is not None:
        query = query.where(PerformanceByDate.model_version == model_version)
    return list(
        session.exec(
            query.order_by(
                col(PerformanceByDate.as_of),
                col(PerformanceByDate.model_version),
                col(PerformanceByDate.kind),
            )
        )
    )

"""Which scores are "current": the latest as-of date and the model version that scored it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from pde.db.models.enums import ModelStatus
from pde.frontend.services.tables import MODEL_VERSIONS, RISK_SCORES, SCORING_RUNS


@dataclass(frozen=True)
class Snapshot:
    as_of: date
    model_version: str
    previous: date | None  # the score date before, for changes and acceleration
    # The newest scoring run's progress (id, rows written, last update): part of every cache
    # key holding the snapshot, so figures cached while a run writes are not kept after it.
    revision: str = ""


def latest_snapshot(session: Session) -> Snapshot | None:
    """The newest scoring date, scored by the champion when it scored that date (else by the
    version with most rows), and the date scored before it by the same version."""
    scores = RISK_SCORES.c
    as_of = session.execute(sa.select(sa.func.max(scores.as_of))).scalar_one_or_none()
    if as_of is None:
        return None
    champion = session.execute(
        sa.select(MODEL_VERSIONS.c.version).where(
            MODEL_VERSIONS.c.status == ModelStatus.CHAMPION.value
        )
    ).scalar_one_or_none()
    scored = (
        champion is not None
        and session.execute(
            sa.select(sa.literal(1))
            .where(scores.as_of == as_of, scores.model_version == champion)
            .limit(1)
        ).first()
    )
    if scored:
        version = champion
    else:
        version = session.execute(
            sa.select(scores.model_version)
            .where(scores.as_of == as_of)
            .group_by(scores.model_version)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).scalar_one()
    previous = session.execute(
        sa.select(sa.func.max(scores.as_of)).where(
            scores.as_of < as_of, scores.model_version == version
        )
    ).scalar_one_or_none()
    run = session.execute(
        sa.select(SCORING_RUNS.c.run_id, SCORING_RUNS.c.rows_written, SCORING_RUNS.c.updated_at)
        .order_by(SCORING_RUNS.c.updated_at.desc())
        .limit(1)
    ).first()
    revision = "" if run is None else f"{run[0]}:{run[1]}:{run[2]}"
    return Snapshot(as_of=as_of, model_version=str(version), previous=previous, revision=revision)


def current_scores(snapshot: Snapshot) -> sa.Subquery:
    """The snapshot's rows: customer_id, probability, tier, alert, top_reasons and the chance
    of a miss within 7 days (null for a model without a hazard model)."""
    scores = RISK_SCORES.c
    return (
        sa.select(
            scores.customer_id,
            scores.probability,
            scores.tier,
            scores.alert,
            scores.top_reasons,
            scores.miss_within_7d,
        )
        .where(scores.as_of == snapshot.as_of, scores.model_version == snapshot.model_version)
        .subquery("current_scores")
    )


def previous_scores(snapshot: Snapshot) -> sa.Subquery | None:
    """The same version's rows at the date before: customer_id, prev_probability."""
    if snapshot.previous is None:
        return None
    scores = RISK_SCORES.c
    return (
        sa.select(scores.customer_id, scores.probability.label("prev_probability"))
        .where(scores.as_of == snapshot.previous, scores.model_version == snapshot.model_version)
        .subquery("previous_scores")
    )

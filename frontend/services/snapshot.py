"""Which scores are "current": the latest as-of date and the model version that scored it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from pde.frontend.services.tables import MV, RS


@dataclass(frozen=True)
class Snapshot:
    as_of: date
    model_version: str
    previous: date | None  # the score date before, for changes and acceleration


def latest_snapshot(session: Session) -> Snapshot | None:
    """The newest scoring date, scored by the champion when it scored that date (else by the
    version with most rows), and the date scored before it by the same version."""
    as_of = session.execute(sa.select(sa.func.max(RS.c.as_of))).scalar_one_or_none()
    if as_of is None:
        return None
    champion = session.execute(
        sa.select(MV.c.version).where(MV.c.status == "champion")
    ).scalar_one_or_none()
    scored = (
        champion is not None
        and session.execute(
            sa.select(sa.literal(1))
            .where(RS.c.as_of == as_of, RS.c.model_version == champion)
            .limit(1)
        ).first()
    )
    if scored:
        version = champion
    else:
        version = session.execute(
            sa.select(RS.c.model_version)
            .where(RS.c.as_of == as_of)
            .group_by(RS.c.model_version)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).scalar_one()
    previous = session.execute(
        sa.select(sa.func.max(RS.c.as_of)).where(RS.c.as_of < as_of, RS.c.model_version == version)
    ).scalar_one_or_none()
    return Snapshot(as_of=as_of, model_version=str(version), previous=previous)


def current_scores(snapshot: Snapshot) -> sa.Subquery:
    """The snapshot's rows: customer_id, probability, tier, alert, top_reasons."""
    return (
        sa.select(RS.c.customer_id, RS.c.probability, RS.c.tier, RS.c.alert, RS.c.top_reasons)
        .where(RS.c.as_of == snapshot.as_of, RS.c.model_version == snapshot.model_version)
        .subquery("cur")
    )


def previous_scores(snapshot: Snapshot) -> sa.Subquery | None:
    if snapshot.previous is None:
        return None
    return (
        sa.select(RS.c.customer_id, RS.c.probability.label("prev_probability"))
        .where(RS.c.as_of == snapshot.previous, RS.c.model_version == snapshot.model_version)
        .subquery("prev")
    )

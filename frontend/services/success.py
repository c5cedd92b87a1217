"""Observed success rate per intervention type (falls back to the catalogue's prior)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from pde.frontend.services.catalogue import MIN_OUTCOMES_FOR_RATE, SUCCESS_OUTCOMES
from pde.frontend.services.tables import INTERVENTIONS, OUTCOMES


def success_rates(session: Session) -> dict[str, float]:
    """{type: share of interventions with an outcome that ended paid or promise kept}, for
    types with enough recorded outcomes to trust."""
    succeeded = sa.func.max(sa.case((OUTCOMES.c.outcome.in_(SUCCESS_OUTCOMES), 1), else_=0))
    per_intervention = (
        sa.select(INTERVENTIONS.c.type, succeeded.label("succeeded"))
        .select_from(INTERVENTIONS.join(OUTCOMES, OUTCOMES.c.intervention_id == INTERVENTIONS.c.id))
        .group_by(INTERVENTIONS.c.id, INTERVENTIONS.c.type)
        .subquery("per_intervention")
    )
    rows = session.execute(
        sa.select(
            per_intervention.c.type, sa.func.count(), sa.func.sum(per_intervention.c.succeeded)
        ).group_by(per_intervention.c.type)
    )
    return {
        str(kind): float(succeeded or 0) / n
        for kind, n, succeeded in rows
        if n >= MIN_OUTCOMES_FOR_RATE
    }

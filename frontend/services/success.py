"""Observed success rate per intervention type (falls back to the catalogue's prior)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from pde.frontend.services.catalogue import MIN_OUTCOMES_FOR_RATE, SUCCESS_OUTCOMES
from pde.frontend.services.tables import IV, OUT


def success_rates(session: Session) -> dict[str, float]:
    """{type: share of interventions with an outcome that ended paid or promise kept}, for
    types with enough recorded outcomes to trust."""
    success = sa.func.max(sa.case((OUT.c.outcome.in_(SUCCESS_OUTCOMES), 1), else_=0))
    per_intervention = (
        sa.select(IV.c.type, success.label("ok"))
        .select_from(IV.join(OUT, OUT.c.intervention_id == IV.c.id))
        .group_by(IV.c.id, IV.c.type)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            per_intervention.c.type, sa.func.count(), sa.func.sum(per_intervention.c.ok)
        ).group_by(per_intervention.c.type)
    )
    return {str(kind): float(ok or 0) / n for kind, n, ok in rows if n >= MIN_OUTCOMES_FOR_RATE}

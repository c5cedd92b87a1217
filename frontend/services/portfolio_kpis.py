"""Risk Overview KPIs (customers, risk, exposure, expected loss, value of interventions) over
the whole portfolio or one segment of it, aggregated in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.names import ALERT_TIERS, RiskTier
from pde.db.models.enums import InterventionStatus
from pde.frontend.services.catalogue import ACTIONS, LOSS_GIVEN_DEFAULT, SUCCESS_OUTCOMES
from pde.frontend.services.snapshot import Snapshot, current_scores
from pde.frontend.services.tables import CUSTOMERS, INTERVENTIONS, OUTCOMES

SEGMENT_DIMENSIONS = {
    "product": "Product",
    "region": "Region",
    "income_bracket": "Income bracket",
    "employment_type": "Employment",
}


@dataclass(frozen=True)
class Segment:
    dimension: str
    value: str

    def clause(self) -> sa.ColumnElement[bool]:
        if self.dimension not in SEGMENT_DIMENSIONS:
            raise ValueError(f"unknown segment dimension {self.dimension!r}")
        return CUSTOMERS.c[self.dimension] == self.value


@dataclass(frozen=True)
class Kpis:
    customers: int
    scored: int
    high_risk: int
    critical: int
    mean_risk: float
    total_exposure: float
    expected_loss: float
    prevented_defaults: int
    cost_saved: float
    success_rate: float | None


def _cost_case() -> sa.Case[Any]:
    return sa.case(
        *((INTERVENTIONS.c.type == kind.value, spec.cost) for kind, spec in ACTIONS.items()),
        else_=0.0,
    )


def intervention_value(session: Session, segment: Segment | None = None) -> tuple[int, float, int]:
    """(prevented defaults, cost saved, interventions with an outcome) over all time."""
    succeeded = (
        sa.select(OUTCOMES.c.intervention_id)
        .where(OUTCOMES.c.outcome.in_(SUCCESS_OUTCOMES))
        .distinct()
        .subquery("succeeded")
    )
    any_outcome = sa.select(OUTCOMES.c.intervention_id).distinct().subquery("any_outcome")
    base = sa.select(
        sa.func.count(succeeded.c.intervention_id),
        sa.func.coalesce(
            sa.func.sum(
                sa.case(
                    (
                        succeeded.c.intervention_id.is_not(None),
                        CUSTOMERS.c.outstanding_balance * LOSS_GIVEN_DEFAULT,
                    ),
                    else_=0,
                )
            ),
            0,
        ),
        sa.func.coalesce(sa.func.sum(_cost_case()), 0),
        sa.func.count(any_outcome.c.intervention_id),
    ).select_from(
        INTERVENTIONS.join(CUSTOMERS, CUSTOMERS.c.customer_id == INTERVENTIONS.c.customer_id)
        .join(succeeded, succeeded.c.intervention_id == INTERVENTIONS.c.id, isouter=True)
        .join(any_outcome, any_outcome.c.intervention_id == INTERVENTIONS.c.id, isouter=True)
    )
    base = base.where(INTERVENTIONS.c.status == InterventionStatus.COMPLETED.value)
    if segment is not None:
        base = base.where(segment.clause())
    prevented, avoided, cost, with_outcome = session.execute(base).one()
    return int(prevented), float(avoided) - float(cost), int(with_outcome)


@dataclass(frozen=True)
class ScoreFigures:
    """The KPIs that change only when customers are loaded or scored (cacheable)."""

    customers: int
    exposure: float
    scored: int = 0
    high_risk: int = 0
    critical: int = 0
    mean_risk: float = 0.0
    expected_loss: float = 0.0


def score_figures(
    session: Session, snapshot: Snapshot | None, segment: Segment | None
) -> ScoreFigures:
    customers_q = sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(CUSTOMERS.c.outstanding_balance), 0)
    )
    if segment is not None:
        customers_q = customers_q.where(segment.clause())
    customers, exposure = session.execute(customers_q).one()
    if snapshot is None:
        return ScoreFigures(int(customers), float(exposure))
    current = current_scores(snapshot)
    query = sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((current.c.tier.in_(ALERT_TIERS), 1), else_=0)),
        sa.func.sum(sa.case((current.c.tier == RiskTier.CRITICAL.value, 1), else_=0)),
        sa.func.avg(current.c.probability),
        sa.func.sum(current.c.probability * CUSTOMERS.c.outstanding_balance),
    ).select_from(current.join(CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id))
    if segment is not None:
        query = query.where(segment.clause())
    row = session.execute(query).one()
    return ScoreFigures(
        customers=int(customers),
        exposure=float(exposure),
        scored=int(row[0]),
        high_risk=int(row[1] or 0),
        critical=int(row[2] or 0),
        mean_risk=float(row[3] or 0.0),
        expected_loss=float(row[4] or 0.0) * LOSS_GIVEN_DEFAULT,
    )


def kpis(
    session: Session,
    snapshot: Snapshot | None,
    segment: Segment | None,
    *,
    figures: ScoreFigures | None = None,
) -> Kpis:
    """The KPIs; `figures` (the scores' part, see `score_figures`) when the caller cached it.
    The value of interventions, which actions change, is always read fresh."""
    found = figures or score_figures(session, snapshot, segment)
    prevented, saved, with_outcome = intervention_value(session, segment)
    return Kpis(
        customers=found.customers,
        scored=found.scored,
        high_risk=found.high_risk,
        critical=found.critical,
        mean_risk=found.mean_risk,
        total_exposure=found.exposure,
        expected_loss=found.expected_loss,
        prevented_defaults=prevented,
        cost_saved=saved,
        success_rate=prevented / with_outcome if with_outcome else None,
    )

"""Interventions Tracker figures: KPIs and effectiveness per type, aggregated in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db.models.enums import InterventionStatus
from pde.db.types import utc_now
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import (
    ACTIONS,
    COSTED_STATUSES,
    LOSS_GIVEN_DEFAULT,
    RESPONSE_OUTCOMES,
    SUCCESS_OUTCOMES,
)
from pde.frontend.services.tables import CUSTOMERS, INTERVENTIONS, OUTCOMES


@dataclass(frozen=True)
class TrackerKpis:
    count: int
    completed: int
    with_outcome: int
    success_rate: float | None
    prevented_defaults: int
    prevented_loss: float
    cost: float
    roi: float | None
    response_rate: float | None
    hours_to_respond: float | None


@dataclass(frozen=True)
class TypeEffect:
    """One intervention type: how many, how many with an outcome, how many succeeded."""

    type: str
    count: int
    with_outcome: int
    succeeded: int


@dataclass(frozen=True)
class OutcomeCount:
    type: str
    outcome: str
    count: int


@dataclass(frozen=True)
class TrackerFigures:
    kpis: TrackerKpis
    by_type: tuple[TypeEffect, ...]
    outcome_mix: tuple[OutcomeCount, ...]


def tracker(
    services: Services, *, days: int | None, kind: str | Sequence[str] | None
) -> TrackerFigures:
    """The Tracker's figures over the interventions created in the last `days` (all when
    None), of type `kind` (all when None)."""
    with services.session() as session:
        return TrackerFigures(
            kpis=tracker_kpis(session, days=days, kind=kind),
            by_type=by_type(session, days=days, kind=kind),
            outcome_mix=outcome_mix(session, days=days, kind=kind),
        )


def _hours(session: Session, start: Any, end: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start) / 3600.0
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 24.0


def _filters(
    query: sa.Select[Any], *, days: int | None, kind: str | Sequence[str] | None
) -> sa.Select[Any]:
    if days:
        query = query.where(INTERVENTIONS.c.created_at >= utc_now() - timedelta(days=days))
    if kind:  # one type, or several (the page's multi-select)
        query = query.where(INTERVENTIONS.c.type.in_([kind] if isinstance(kind, str) else kind))
    return query


def _per_intervention() -> sa.Subquery:
    """Per intervention with an outcome: succeeded (0/1) and responded (0/1)."""
    succeeded = sa.func.max(sa.case((OUTCOMES.c.outcome.in_(SUCCESS_OUTCOMES), 1), else_=0))
    responded = sa.func.max(sa.case((OUTCOMES.c.outcome.in_(RESPONSE_OUTCOMES), 1), else_=0))
    return (
        sa.select(
            OUTCOMES.c.intervention_id,
            succeeded.label("succeeded"),
            responded.label("responded"),
        )
        .group_by(OUTCOMES.c.intervention_id)
        .subquery("per_intervention")
    )


def tracker_kpis(
    session: Session, *, days: int | None, kind: str | Sequence[str] | None
) -> TrackerKpis:
    per_intervention = _per_intervention()
    work = INTERVENTIONS.c
    cost = sa.case(*((work.type == k.value, spec.cost) for k, spec in ACTIONS.items()), else_=0.0)
    query = _filters(
        sa.select(
            sa.func.count(work.id),
            sa.func.sum(sa.case((work.status == InterventionStatus.COMPLETED.value, 1), else_=0)),
            sa.func.count(per_intervention.c.intervention_id),
            sa.func.sum(sa.func.coalesce(per_intervention.c.succeeded, 0)),
            sa.func.sum(sa.func.coalesce(per_intervention.c.responded, 0)),
            sa.func.sum(
                sa.case(
                    (
                        per_intervention.c.succeeded == 1,
                        CUSTOMERS.c.outstanding_balance * LOSS_GIVEN_DEFAULT,
                    ),
                    else_=0,
                )
            ),
            sa.func.sum(sa.case((work.status.in_(COSTED_STATUSES), cost), else_=0)),
            sa.func.avg(_hours(session, work.created_at, work.started_at)),
        ).select_from(
            INTERVENTIONS.join(CUSTOMERS, CUSTOMERS.c.customer_id == work.customer_id).join(
                per_intervention, per_intervention.c.intervention_id == work.id, isouter=True
            )
        ),
        days=days,
        kind=kind,
    )
    n, completed, with_outcome, succeeded, responded, loss, spent, hours = session.execute(
        query
    ).one()
    with_outcome = int(with_outcome or 0)
    succeeded, spent, loss = int(succeeded or 0), float(spent or 0), float(loss or 0)
    return TrackerKpis(
        count=int(n or 0),
        completed=int(completed or 0),
        with_outcome=with_outcome,
        success_rate=succeeded / with_outcome if with_outcome else None,
        prevented_defaults=succeeded,
        prevented_loss=loss,
        cost=spent,
        roi=(loss - spent) / spent if spent else None,
        response_rate=int(responded or 0) / with_outcome if with_outcome else None,
        hours_to_respond=float(hours) if hours is not None else None,
    )


def by_type(
    session: Session, *, days: int | None, kind: str | Sequence[str] | None
) -> tuple[TypeEffect, ...]:
    per_intervention = _per_intervention()
    work = INTERVENTIONS.c
    query = _filters(
        sa.select(
            work.type,
            sa.func.count(work.id),
            sa.func.count(per_intervention.c.intervention_id),
            sa.func.sum(sa.func.coalesce(per_intervention.c.succeeded, 0)),
        )
        .select_from(
            INTERVENTIONS.join(
                per_intervention, per_intervention.c.intervention_id == work.id, isouter=True
            )
        )
        .group_by(work.type),
        days=days,
        kind=kind,
    )
    return tuple(
        TypeEffect(str(t), int(n), int(with_outcome or 0), int(succeeded or 0))
        for t, n, with_outcome, succeeded in session.execute(query)
    )


def outcome_mix(
    session: Session, *, days: int | None, kind: str | Sequence[str] | None
) -> tuple[OutcomeCount, ...]:
    query = _filters(
        sa.select(INTERVENTIONS.c.type, OUTCOMES.c.outcome, sa.func.count())
        .select_from(INTERVENTIONS.join(OUTCOMES, OUTCOMES.c.intervention_id == INTERVENTIONS.c.id))
        .group_by(INTERVENTIONS.c.type, OUTCOMES.c.outcome),
        days=days,
        kind=kind,
    )
    return tuple(OutcomeCount(str(t), str(o), int(n)) for t, o, n in session.execute(query))

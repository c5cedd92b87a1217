"""Interventions Tracker figures: KPIs and effectiveness per type, aggregated in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db.types import utc_now
from pde.frontend.services.catalogue import (
    ACTIONS,
    LOSS_GIVEN_DEFAULT,
    RESPONSE_OUTCOMES,
    SUCCESS_OUTCOMES,
)
from pde.frontend.services.tables import CUST, IV, OUT


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


def _hours(session: Session, start: Any, end: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start) / 3600.0
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 24.0


def _filters(query: sa.Select[Any], *, days: int | None, kind: str | None) -> sa.Select[Any]:
    if days:
        query = query.where(IV.c.created_at >= utc_now() - timedelta(days=days))
    if kind:
        query = query.where(IV.c.type == kind)
    return query


def _per_intervention() -> sa.Subquery:
    ok = sa.func.max(sa.case((OUT.c.outcome.in_(SUCCESS_OUTCOMES), 1), else_=0))
    responded = sa.func.max(sa.case((OUT.c.outcome.in_(RESPONSE_OUTCOMES), 1), else_=0))
    return (
        sa.select(OUT.c.intervention_id, ok.label("ok"), responded.label("responded"))
        .group_by(OUT.c.intervention_id)
        .subquery("per")
    )


def tracker_kpis(session: Session, *, days: int | None, kind: str | None) -> TrackerKpis:
    per = _per_intervention()
    cost = sa.case(*((IV.c.type == k.value, spec.cost) for k, spec in ACTIONS.items()), else_=0.0)
    query = _filters(
        sa.select(
            sa.func.count(IV.c.id),
            sa.func.sum(sa.case((IV.c.status == "completed", 1), else_=0)),
            sa.func.count(per.c.intervention_id),
            sa.func.sum(sa.func.coalesce(per.c.ok, 0)),
            sa.func.sum(sa.func.coalesce(per.c.responded, 0)),
            sa.func.sum(
                sa.case((per.c.ok == 1, CUST.c.outstanding_balance * LOSS_GIVEN_DEFAULT), else_=0)
            ),
            sa.func.sum(sa.case((IV.c.status.in_(("in_progress", "completed")), cost), else_=0)),
            sa.func.avg(_hours(session, IV.c.created_at, IV.c.started_at)),
        ).select_from(
            IV.join(CUST, CUST.c.customer_id == IV.c.customer_id).join(
                per, per.c.intervention_id == IV.c.id, isouter=True
            )
        ),
        days=days,
        kind=kind,
    )
    n, completed, with_outcome, ok, responded, loss, spent, hours = session.execute(query).one()
    with_outcome = int(with_outcome or 0)
    ok, spent, loss = int(ok or 0), float(spent or 0), float(loss or 0)
    return TrackerKpis(
        count=int(n or 0),
        completed=int(completed or 0),
        with_outcome=with_outcome,
        success_rate=ok / with_outcome if with_outcome else None,
        prevented_defaults=ok,
        prevented_loss=loss,
        cost=spent,
        roi=(loss - spent) / spent if spent else None,
        response_rate=int(responded or 0) / with_outcome if with_outcome else None,
        hours_to_respond=float(hours) if hours is not None else None,
    )


def by_type(session: Session, *, days: int | None, kind: str | None) -> list[dict[str, Any]]:
    per = _per_intervention()
    query = _filters(
        sa.select(
            IV.c.type.label("type"),
            sa.func.count(IV.c.id).label("count"),
            sa.func.count(per.c.intervention_id).label("with_outcome"),
            sa.func.sum(sa.func.coalesce(per.c.ok, 0)).label("succeeded"),
        )
        .select_from(IV.join(per, per.c.intervention_id == IV.c.id, isouter=True))
        .group_by(IV.c.type),
        days=days,
        kind=kind,
    )
    return [dict(row._mapping) for row in session.execute(query)]


def outcome_mix(session: Session, *, days: int | None, kind: str | None) -> list[dict[str, Any]]:
    query = _filters(
        sa.select(IV.c.type.label("type"), OUT.c.outcome.label("outcome"), sa.func.count())
        .select_from(IV.join(OUT, OUT.c.intervention_id == IV.c.id))
        .group_by(IV.c.type, OUT.c.outcome),
        days=days,
        kind=kind,
    )
    return [
        {"type": str(t), "outcome": str(o), "count": int(n)} for t, o, n in session.execute(query)
    ]


def status_mix(session: Session, *, days: int | None, kind: str | None) -> dict[str, int]:
    query = _filters(
        sa.select(IV.c.status, sa.func.count()).group_by(IV.c.status), days=days, kind=kind
    )
    return {str(s): int(n) for s, n in session.execute(query)}

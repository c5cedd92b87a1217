"""Interventions Tracker figures: the workflow's KPIs, and what the actions achieved.

What the actions achieved is measured one way, `pde.decision.outcomes`': success is **cured
within 30 days**, read from `treatment_outcomes` (the 30-day outcome an officer records when
closing an intervention, or a loaded treated history), and the ROI subtracts the control
group's cure rate (`roi`, its basis stated). Costs are the settings' (`PDE_ACTION_COSTS`), the
loss given default the policy's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.contracts.interventions import CONTROL
from pde.core.settings import Settings
from pde.db.models.enums import InterventionStatus
from pde.db.types import utc_now
from pde.decision.outcomes import SUCCESS, SUCCESS_DEFINITION, roi
from pde.decision.policy import policy_from_settings
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import APP_PREFIX, RESPONSE_OUTCOMES
from pde.frontend.services.tables import CUSTOMERS, INTERVENTIONS, OUTCOMES, TREATMENTS


@dataclass(frozen=True)
class TrackerKpis:
    count: int
    completed: int
    response_rate: float | None
    hours_to_respond: float | None
    # 30-day outcomes of the actions (treatment_outcomes), against the control group
    with_outcome: int
    success_rate: float | None  # cured within 30 days, of the treated
    control_rate: float | None  # cured within 30 days, of the control group
    incremental_cures: float | None
    loss_avoided: float | None
    cost: float
    roi: float | None
    basis: str


@dataclass(frozen=True)
class TypeEffect:
    """One arm: assignments with a 30-day outcome and how many were cured."""

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
    """The Tracker's figures over the interventions created (and the actions assigned) in the
    last `days` (all when None), of type `kind` (all when None)."""
    with services.session() as session:
        return TrackerFigures(
            kpis=tracker_kpis(session, services.settings, days=days, kind=kind),
            by_type=by_type(session, days=days, kind=kind),
            outcome_mix=outcome_mix(session, days=days, kind=kind),
        )


def _hours(session: Session, start: Any, end: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start) / 3600.0
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 24.0


def _kinds(kind: str | Sequence[str]) -> list[str]:
    """One type or several (the Tracker's multi-select)."""
    return [kind] if isinstance(kind, str) else list(kind)


def cured_per_intervention() -> sa.Subquery:
    """Per intervention closed in the app with its 30-day outcome (the `app-<id>` rows of
    treatment_outcomes): succeeded, 1 when cured within 30 days (the one definition)."""
    t = TREATMENTS.c
    return (
        sa.select(
            sa.cast(sa.func.substr(t.assignment_id, len(APP_PREFIX) + 1), sa.Integer).label(
                "intervention_id"
            ),
            sa.case((t.outcome == SUCCESS, 1), else_=0).label("succeeded"),
        )
        .where(t.assignment_id.like(f"{APP_PREFIX}%"))
        .subquery("per_intervention")
    )


def in_period(
    query: sa.Select[Any], *, days: int | None, kind: str | Sequence[str] | None
) -> sa.Select[Any]:
    """Interventions created in the last `days` (all when None), of the type(s) `kind` (all
    when None or empty)."""
    if days:
        query = query.where(INTERVENTIONS.c.created_at >= utc_now() - timedelta(days=days))
    if kind:
        query = query.where(INTERVENTIONS.c.type.in_(_kinds(kind)))
    return query


def _arm_filters(
    query: sa.Select[Any],
    *,
    days: int | None,
    kind: str | Sequence[str] | None,
    control: bool = True,
) -> sa.Select[Any]:
    """Assignments in the period, of `kind` (and the control group, when `control`)."""
    t = TREATMENTS.c
    if days:
        query = query.where(t.assigned_on >= (utc_now() - timedelta(days=days)).date())
    if kind:
        chosen = _kinds(kind)
        query = query.where(t.action.in_([*chosen, CONTROL] if control else chosen))
    return query


def _workflow(
    session: Session, *, days: int | None, kind: str | Sequence[str] | None
) -> tuple[Any, ...]:
    work = INTERVENTIONS.c
    responded = (
        sa.select(OUTCOMES.c.intervention_id)
        .where(OUTCOMES.c.outcome.in_(RESPONSE_OUTCOMES))
        .distinct()
        .subquery("responded")
    )
    query = in_period(
        sa.select(
            sa.func.count(work.id),
            sa.func.sum(sa.case((work.status == InterventionStatus.COMPLETED.value, 1), else_=0)),
            sa.func.count(responded.c.intervention_id),
            sa.func.avg(_hours(session, work.created_at, work.started_at)),
        ).select_from(
            INTERVENTIONS.join(responded, responded.c.intervention_id == work.id, isouter=True)
        ),
        days=days,
        kind=kind,
    )
    n, completed, responded_n, hours = session.execute(query).one()
    with_any = in_period(
        sa.select(sa.func.count(sa.distinct(OUTCOMES.c.intervention_id))).select_from(
            OUTCOMES.join(INTERVENTIONS, INTERVENTIONS.c.id == OUTCOMES.c.intervention_id)
        ),
        days=days,
        kind=kind,
    )
    total = int(session.execute(with_any).scalar_one() or 0)
    rate = int(responded_n or 0) / total if total else None
    return int(n or 0), int(completed or 0), rate, float(hours) if hours is not None else None


def tracker_kpis(
    session: Session, settings: Settings, *, days: int | None, kind: str | Sequence[str] | None
) -> TrackerKpis:
    n, completed, response_rate, hours = _workflow(session, days=days, kind=kind)
    t = TREATMENTS.c
    cured = sa.func.sum(sa.case((t.outcome == SUCCESS, 1), else_=0))
    is_control = t.action == CONTROL
    rows = session.execute(
        _arm_filters(
            sa.select(
                is_control.label("control"),
                sa.func.count(),
                cured,
                sa.func.sum(t.cost),
                sa.func.avg(CUSTOMERS.c.outstanding_balance),
            )
            .select_from(
                TREATMENTS.join(CUSTOMERS, CUSTOMERS.c.customer_id == t.customer_id, isouter=True)
            )
            .group_by(is_control),
            days=days,
            kind=kind,
        )
    ).all()
    groups = {bool(c): (int(a), int(k or 0), float(s or 0), e) for c, a, k, s, e in rows}
    treated = groups.get(False, (0, 0, 0.0, None))
    control = groups.get(True, (0, 0, 0.0, None))
    policy = policy_from_settings(settings)
    exposure = float(treated[3]) if treated[3] is not None else policy.exposure_amount
    figures = roi(
        treated_outcomes=[SUCCESS] * treated[1] + ["missed"] * (treated[0] - treated[1]),
        control_outcomes=[SUCCESS] * control[1] + ["missed"] * (control[0] - control[1]),
        cost=treated[2],
        exposure=exposure,
        loss_given_default=policy.loss_given_default,
    )

    def known(value: float) -> float | None:
        return None if math.isnan(value) else value

    return TrackerKpis(
        count=n,
        completed=completed,
        response_rate=response_rate,
        hours_to_respond=hours,
        with_outcome=treated[0],
        success_rate=treated[1] / treated[0] if treated[0] else None,
        control_rate=control[1] / control[0] if control[0] else None,
        incremental_cures=known(figures.incremental_cures),
        loss_avoided=known(figures.loss_avoided),
        cost=treated[2],
        roi=known(figures.roi),
        basis=figures.basis
        if control[0]
        else f"no control group yet: success = {SUCCESS_DEFINITION}",
    )


def by_type(
    session: Session, *, days: int | None, kind: str | Sequence[str] | None
) -> tuple[TypeEffect, ...]:
    """Per arm (the control group too): assignments and cures within 30 days."""
    t = TREATMENTS.c
    cured = sa.func.sum(sa.case((t.outcome == SUCCESS, 1), else_=0))
    query = _arm_filters(
        sa.select(t.action, sa.func.count(), cured).group_by(t.action), days=days, kind=kind
    )
    return tuple(
        TypeEffect(str(a), int(n), int(n), int(c or 0)) for a, n, c in session.execute(query)
    )


def outcome_mix(
    session: Session, *, days: int | None, kind: str | Sequence[str] | None
) -> tuple[OutcomeCount, ...]:
    """Per arm and 30-day outcome (cured, missed, no response): how many."""
    t = TREATMENTS.c
    query = _arm_filters(
        sa.select(t.action, t.outcome, sa.func.count()).group_by(t.action, t.outcome),
        days=days,
        kind=kind,
    )
    return tuple(OutcomeCount(str(a), str(o), int(n)) for a, o, n in session.execute(query))
